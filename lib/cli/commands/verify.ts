/**
 * `deltaglider verify s3://bucket/key` — rebuild the object and compare its SHA-256 with the
 * one stored at upload, and check the reference it needs as it is in the bucket (not only
 * in this machine's cache). Exit 0 when it matches, 1 when it does not or cannot be rebuilt.
 */
import type { Argv, CommandModule } from 'yargs';

import { DeltaGliderError } from '../../errors';
import { CliContext, EXIT_FAILURE, usageError } from '../context';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';
import { formatS3Url, parseS3Url } from '../s3-url';
import { failure } from '../transfer-report';

interface VerifyArgs extends GlobalArgs {
  path: string;
  deep?: boolean;
}

export function verifyCommand(ctx: CliContext): CommandModule<object, VerifyArgs> {
  return {
    command: 'verify <path>',
    describe: 'Rebuild an object and check it against its stored SHA-256',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('path', { type: 'string', demandOption: true, describe: 's3://bucket/key' })
          .option('deep', {
            type: 'boolean',
            describe: "Also download and hash the delta's reference from the bucket (by default its metadata and size are checked, and its bytes when this machine has not cached them)",
          }),
      ),
    handler: async (args: VerifyArgs) => {
      const { bucket, key } = parseS3Url(args.path);
      if (key === '' || key.endsWith('/')) throw usageError(`${args.path} is not an object key`);
      const url = formatS3Url(bucket, key);
      const runtime = openRuntime(args, ctx.io);
      try {
        // Head first: a missing object is a plain error, while any failure to rebuild an
        // existing one (corrupt delta, missing or wrong reference) is the answer: FAILED.
        if (!(await runtime.service.head(bucket, key))) {
          throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${url} does not exist`);
        }
        let verdict;
        try {
          verdict = await runtime.service.verify(bucket, key, { deep: args.deep });
        } catch (err) {
          const error = failure(err);
          if (args.json) ctx.json({ bucket, key, valid: false, error });
          else ctx.err(`FAILED ${url}: ${error?.message} (${error?.code})`);
          ctx.fail(EXIT_FAILURE);
          return;
        }
        if (args.json) ctx.json(verdict);
        else if (verdict.valid) {
          if (!args.quiet) ctx.out(`OK ${url} (sha256 ${verdict.actualSha256}, ${verdict.kind})`);
        } else {
          const reason = verdict.error ? `${verdict.error.message} (${verdict.error.code})` : `sha256 ${verdict.actualSha256}, expected ${verdict.expectedSha256}`;
          ctx.err(`FAILED ${url}: ${reason}`);
        }
        if (!verdict.valid) ctx.fail(EXIT_FAILURE);
      } finally {
        await runtime.close();
      }
    },
  };
}
