/**
 * `deltaglider rb s3://bucket` — remove a bucket, like `aws s3 rb`. A bucket with anything
 * in it (DeltaGlider's own references and caches included) is refused unless --force, which
 * deletes everything first.
 */
import type { Argv, CommandModule } from 'yargs';

import { DeltaGliderError } from '../../errors';
import { CliContext } from '../context';
import { bucketArgument } from '../bucket-argument';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';

interface RbArgs extends GlobalArgs {
  bucket: string;
  force?: boolean;
}

export function rbCommand(ctx: CliContext): CommandModule<object, RbArgs> {
  return {
    command: 'rb <bucket>',
    describe: 'Remove a bucket (--force deletes its contents first)',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('bucket', { type: 'string', demandOption: true, describe: 's3://bucket' })
          .option('force', { type: 'boolean', describe: 'Delete every object in the bucket, then the bucket' }),
      ) as unknown as Argv<RbArgs>,
    handler: (args: RbArgs) => runRb(ctx, args),
  };
}

async function runRb(ctx: CliContext, args: RbArgs): Promise<void> {
  const bucket = bucketArgument(args.bucket);
  const runtime = openRuntime(args, ctx.io);
  try {
    const page = await runtime.storage.list(bucket, { maxKeys: 1 });
    let deleted = 0;
    if (page.objects.length > 0 || page.commonPrefixes.length > 0) {
      if (!args.force) {
        throw new DeltaGliderError('ERR_DG_BUCKET_NOT_EMPTY', `bucket ${bucket} is not empty; use --force to delete its contents and the bucket`);
      }
      const { deletedKeys } = await runtime.service.deleteRecursive(bucket, '');
      deleted = deletedKeys.length;
      if (!args.quiet && !args.json) for (const key of deletedKeys) ctx.out(`delete: s3://${bucket}/${key}`);
    }
    await runtime.storage.deleteBucket(bucket);
    if (args.json) ctx.json({ bucket, removed: true, deletedObjects: deleted });
    else if (!args.quiet) ctx.out(`remove_bucket: ${bucket}`);
  } finally {
    await runtime.close();
  }
}
