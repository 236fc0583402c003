/** `deltaglider mb s3://bucket` — make a bucket, like `aws s3 mb`. */
import type { Argv, CommandModule } from 'yargs';

import { CliContext } from '../context';
import { bucketArgument } from '../bucket-argument';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';

interface BucketArgs extends GlobalArgs {
  bucket: string;
}

export function mbCommand(ctx: CliContext): CommandModule<object, BucketArgs> {
  return {
    command: 'mb <bucket>',
    describe: 'Make a bucket',
    builder: (y: Argv) =>
      withGlobalOptions(y.positional('bucket', { type: 'string', demandOption: true, describe: 's3://bucket' })) as unknown as Argv<BucketArgs>,
    handler: async (args: BucketArgs) => {
      const bucket = bucketArgument(args.bucket);
      const runtime = openRuntime(args, ctx.io);
      try {
        await runtime.storage.createBucket(bucket);
        if (args.json) ctx.json({ bucket, created: true });
        else if (!args.quiet) ctx.out(`make_bucket: ${bucket}`);
      } finally {
        await runtime.close();
      }
    },
  };
}
