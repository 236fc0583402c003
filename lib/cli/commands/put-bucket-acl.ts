/**
 * `deltaglider put-bucket-acl --bucket B ...` — a passthrough to S3's PutBucketAcl with
 * `aws s3api` option names. Stores without ACLs (file://, s3rver, many gateways) give a clear
 * ERR_DG_NOT_IMPLEMENTED.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argv, CommandModule } from 'yargs';

import type { AccessControlPolicy, CannedBucketAcl, PutBucketAclInput } from '../../ports/bucket-acl';
import { CliContext, usageError } from '../context';
import { bucketArgument } from '../bucket-argument';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';

const CANNED: readonly CannedBucketAcl[] = ['private', 'public-read', 'public-read-write', 'authenticated-read'];

/** The port's input, except that the policy arrives as JSON text. */
interface PutAclArgs extends GlobalArgs, Omit<PutBucketAclInput, 'accessControlPolicy'> {
  accessControlPolicy?: string;
}

export function putBucketAclCommand(ctx: CliContext): CommandModule<object, PutAclArgs> {
  return {
    command: 'put-bucket-acl',
    describe: 'Set a bucket ACL (passthrough to S3 PutBucketAcl)',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .option('bucket', { type: 'string', demandOption: true, describe: 'Bucket name' })
          .option('acl', { choices: CANNED, describe: 'Canned ACL' })
          .option('grant-read', { type: 'string', describe: 'e.g. id=<canonical id> or uri=http://acs.amazonaws.com/groups/global/AllUsers' })
          .option('grant-write', { type: 'string' })
          .option('grant-read-acp', { type: 'string' })
          .option('grant-write-acp', { type: 'string' })
          .option('grant-full-control', { type: 'string' })
          .option('access-control-policy', { type: 'string', describe: 'JSON {"Owner":...,"Grants":[...]} or file://policy.json' }),
      ) as unknown as Argv<PutAclArgs>,
    handler: async (args: PutAclArgs) => {
      const bucket = bucketArgument(args.bucket);
      const policy = args.accessControlPolicy !== undefined ? await readPolicy(args.accessControlPolicy, ctx.io.cwd) : undefined;
      const runtime = openRuntime(args, ctx.io);
      try {
        await runtime.bucketAcl().putBucketAcl({
          bucket,
          acl: args.acl,
          grantRead: args.grantRead,
          grantWrite: args.grantWrite,
          grantReadAcp: args.grantReadAcp,
          grantWriteAcp: args.grantWriteAcp,
          grantFullControl: args.grantFullControl,
          accessControlPolicy: policy,
        });
        // Like `aws s3api put-bucket-acl`: silent on success.
      } finally {
        await runtime.close();
      }
    },
  };
}

/** `--access-control-policy` as inline JSON or `file://path`, checked for the expected shape. */
export async function readPolicy(value: string, cwd: string): Promise<AccessControlPolicy> {
  let text = value;
  if (value.startsWith('file://')) {
    const path = value.startsWith('file:///') ? fileURLToPath(value) : value.slice('file://'.length);
    text = await readFile(resolve(cwd, path), 'utf8').catch((err: Error) => {
      throw usageError(`cannot read --access-control-policy ${value}: ${err.message}`);
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw usageError(`--access-control-policy is not valid JSON: ${(err as Error).message}`);
  }
  const policy = doc as AccessControlPolicy;
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || (policy.Grants !== undefined && !Array.isArray(policy.Grants))) {
    throw usageError('--access-control-policy must be a JSON object like {"Owner": {"ID": "..."}, "Grants": [...]}');
  }
  return policy;
}
