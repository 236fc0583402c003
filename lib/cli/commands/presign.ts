/**
 * `deltaglider presign s3://bucket/key` — a presigned GET URL for the ORIGINAL bytes. A delta
 * object cannot be served as it is stored, so it is first rebuilt into a temporary copy
 * (`.deltaglider/tmp/`, removed by `purge` after it expires); the URL names the original
 * file name for the download.
 */
import type { Argv, CommandModule } from 'yargs';

import { presignDownload } from '../../core/rehydrate';
import { CliContext, usageError } from '../context';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';
import { parseS3Url } from '../s3-url';
import { numberOption } from '../number-option';

/** SigV4 presigned URLs live at most 7 days. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

interface PresignArgs extends GlobalArgs {
  path: string;
  expiresIn: number;
}

export function presignCommand(ctx: CliContext): CommandModule<object, PresignArgs> {
  return {
    command: 'presign <path>',
    describe: 'Print a presigned download URL (delta objects are rebuilt first)',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('path', { type: 'string', demandOption: true, describe: 's3://bucket/key' })
          .option('expires-in', numberOption('expires-in', { min: 1, max: MAX_PRESIGN_SECONDS, integer: true }, { default: 3600, describe: `Seconds the URL stays valid (1..${MAX_PRESIGN_SECONDS})` })),
      ) as unknown as Argv<PresignArgs>,
    handler: (args: PresignArgs) => runPresign(ctx, args),
  };
}

async function runPresign(ctx: CliContext, args: PresignArgs): Promise<void> {
  const { bucket, key } = parseS3Url(args.path);
  if (key === '' || key.endsWith('/')) throw usageError(`${args.path} is a bucket or prefix; give an object key`);
  const seconds = args.expiresIn;
  const runtime = openRuntime(args, ctx.io);
  try {
    const target = await presignDownload(runtime.storage, runtime.service, bucket, key, { expiresInSeconds: seconds });
    const url = target.url;
    if (args.json) {
      ctx.json({
        url,
        bucket,
        key,
        servedKey: target.key,
        fileName: target.fileName,
        rehydrated: target.rehydrated,
        ...(target.reused ? { reused: true } : {}),
        expiresIn: seconds,
        ...(target.expiresAt ? { expiresAt: target.expiresAt.toISOString() } : {}),
      });
    } else {
      ctx.out(url);
    }
  } finally {
    await runtime.close();
  }
}
