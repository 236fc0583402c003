/**
 * `deltaglider get-bucket-acl --bucket B` — prints the bucket ACL as JSON, as `aws s3api
 * get-bucket-acl` does (a passthrough to S3's GetBucketAcl).
 */
import type { Argv, CommandModule } from 'yargs';

import { CliContext } from '../context';
import { bucketArgument } from '../bucket-argument';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';

interface GetAclArgs extends GlobalArgs {
  bucket: string;
}

export function getBucketAclCommand(ctx: CliContext): CommandModule<object, GetAclArgs> {
  return {
    command: 'get-bucket-acl',
    describe: 'Print a bucket ACL as JSON (passthrough to S3 GetBucketAcl)',
    builder: (y: Argv) =>
      withGlobalOptions(y.option('bucket', { type: 'string', demandOption: true, describe: 'Bucket name' })) as unknown as Argv<GetAclArgs>,
    handler: async (args: GetAclArgs) => {
      const bucket = bucketArgument(args.bucket);
      const runtime = openRuntime(args, ctx.io);
      try {
        ctx.json(await runtime.bucketAcl().getBucketAcl(bucket));
      } finally {
        await runtime.close();
      }
    },
  };
}
