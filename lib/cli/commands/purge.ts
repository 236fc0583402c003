/**
 * `deltaglider purge BUCKET` — delete the rebuilt copies `presign` left in
 * `.deltaglider/tmp/` once their expiry has passed. A copy that could not be deleted makes the
 * command fail (exit 1): a purge that silently purges nothing is what we do not want.
 */
import type { Argv, CommandModule } from 'yargs';

import { purgeExpired } from '../../core/purge';
import { CliContext, EXIT_FAILURE } from '../context';
import { bucketArgument } from '../bucket-argument';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';
import { formatS3Url } from '../s3-url';

interface PurgeArgs extends GlobalArgs {
  bucket: string;
  dryRun?: boolean;
}

export function purgeCommand(ctx: CliContext): CommandModule<object, PurgeArgs> {
  return {
    command: 'purge <bucket>',
    describe: 'Delete expired temporary copies made for presigned downloads',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('bucket', { type: 'string', demandOption: true, describe: 'Bucket name or s3://bucket' })
          .option('dry-run', { type: 'boolean', describe: 'List what would be deleted, delete nothing' }),
      ) as unknown as Argv<PurgeArgs>,
    handler: (args: PurgeArgs) => runPurge(ctx, args),
  };
}

async function runPurge(ctx: CliContext, args: PurgeArgs): Promise<void> {
  const bucket = bucketArgument(args.bucket);
  const runtime = openRuntime(args, ctx.io);
  try {
    const result = await purgeExpired(runtime.storage, bucket, { dryRun: args.dryRun });
    if (args.json) ctx.json(result);
    else {
      const deleted = new Set(result.deleted);
      for (const { key } of result.expired) {
        const url = formatS3Url(bucket, key);
        if (result.dryRun) ctx.out(`(dryrun) delete: ${url}`);
        else if (deleted.has(key) && !args.quiet) ctx.out(`delete: ${url}`);
      }
      for (const e of result.errors) ctx.err(`delete failed: ${formatS3Url(bucket, e.key)}: ${e.message}`);
      for (const s of result.skipped) ctx.err(`skipped: ${formatS3Url(bucket, s.key)}: ${s.reason}`);
      if (!args.quiet) {
        const verb = result.dryRun ? 'would delete' : 'deleted';
        const count = result.dryRun ? result.expired.length : result.deleted.length;
        ctx.out(`${verb} ${count} expired of ${result.examined} temporary cop${result.examined === 1 ? 'y' : 'ies'}; ${result.kept} still valid`);
      }
    }
    if (result.errors.length > 0) ctx.fail(EXIT_FAILURE);
  } finally {
    await runtime.close();
  }
}
