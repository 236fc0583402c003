/**
 * `deltaglider migrate s3://src/prefix/ s3://dst/prefix/` — copy a prefix into DeltaGlider
 * storage, objects already delta-stored at the source included (rebuilt, verified, stored
 * again). Resumable: objects already at the destination with the same SHA-256 are skipped.
 * Asks before writing unless --yes; without a terminal to ask on, --yes is required.
 */
import { createInterface } from 'node:readline';
import type { Argv, CommandModule } from 'yargs';

import { migrate, type MigrateItem } from '../../core/migrate';
import { CliContext, EXIT_FAILURE, usageError } from '../context';
import { filterFromArgs } from '../filters';
import { humanSize, savedPercent } from '../format';
import { DELTA_FORMAT_OPTION, GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';
import { formatS3Url, isS3Url, parseS3Url } from '../s3-url';
import { CONCURRENCY, MAX_RATIO, numberOption } from '../number-option';

interface MigrateArgs extends GlobalArgs {
  source: string;
  destination: string;
  dryRun?: boolean;
  yes?: boolean;
  preservePrefix: boolean;
  include?: string[];
  exclude?: string[];
  concurrency: number;
  maxRatio?: number;
  deltaFormat?: 'auto' | 'vcdiff';
}

export function migrateCommand(ctx: CliContext): CommandModule<object, MigrateArgs> {
  return {
    command: 'migrate <source> <destination>',
    describe: 'Copy an S3 prefix into delta storage (resumable; delta-stored sources included)',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('source', { type: 'string', demandOption: true, describe: 's3://bucket/prefix/' })
          .positional('destination', { type: 'string', demandOption: true, describe: 's3://bucket/prefix/' })
          .option('dry-run', { type: 'boolean', describe: 'Show what would be migrated, write nothing' })
          .option('yes', { alias: 'y', type: 'boolean', describe: 'Do not ask for confirmation' })
          .option('preserve-prefix', {
            type: 'boolean',
            default: true,
            describe: "Keep the source prefix's last folder under the destination (--no-preserve-prefix: copy its contents)",
          })
          .option('include', { type: 'string', array: true, describe: 'Migrate paths matching this glob (later filters win)' })
          .option('exclude', { type: 'string', array: true, describe: 'Skip paths matching this glob (later filters win)' })
          .option('concurrency', numberOption('concurrency', CONCURRENCY, { default: 4, describe: 'Objects in flight (1..1024)' }))
          .option('max-ratio', numberOption('max-ratio', MAX_RATIO, { describe: 'Keep a delta only if delta size <= ratio * file size (0..1)' }))
          .option('delta-format', DELTA_FORMAT_OPTION),
      ) as unknown as Argv<MigrateArgs>,
    handler: (args: MigrateArgs) => runMigrate(ctx, args),
  };
}

async function runMigrate(ctx: CliContext, args: MigrateArgs): Promise<void> {
  for (const value of [args.source, args.destination]) {
    if (!isS3Url(value)) throw usageError(`migrate works between S3 locations; '${value}' is not an s3:// URL`);
  }
  const source = parseS3Url(args.source);
  const destination = parseS3Url(args.destination);
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1) throw usageError('--concurrency must be a positive integer');
  const filter = filterFromArgs(ctx.argv, args.include, args.exclude);

  if (!args.dryRun && !args.yes) {
    const stdinIsTTY = Boolean((ctx.io.stdin as { isTTY?: boolean }).isTTY);
    if (!stdinIsTTY) throw usageError('migrate writes to the destination: pass --yes to confirm (or --dry-run to preview)');
    const ok = await confirm(ctx, `Migrate ${formatS3Url(source.bucket, source.key)} into ${formatS3Url(destination.bucket, destination.key)}? [y/N] `);
    if (!ok) {
      ctx.err('migrate: cancelled, nothing written');
      ctx.fail(EXIT_FAILURE);
      return;
    }
  }

  const runtime = openRuntime(args, ctx.io, { maxRatio: args.maxRatio, deltaFormat: args.deltaFormat });
  const quiet = Boolean(args.quiet);
  try {
    const summary = await migrate(runtime.service, runtime.service, {
      sourceBucket: source.bucket,
      sourcePrefix: source.key,
      destBucket: destination.bucket,
      destPrefix: destination.key,
      preservePrefix: args.preservePrefix,
      filter: filter.isEmpty ? undefined : (key) => filter.includes(key),
      dryRun: args.dryRun,
      concurrency: args.concurrency,
      maxRatio: args.maxRatio,
      onItem: args.json ? undefined : (item) => printItem(ctx, source.bucket, destination.bucket, item, quiet),
    });
    if (args.json) ctx.json(summary);
    else if (!quiet) {
      ctx.out(
        `migrated ${summary.migrated}, skipped ${summary.skipped} (already there), failed ${summary.failed}` +
          (args.dryRun ? `, would migrate ${summary.wouldMigrate}` : ''),
      );
      if (summary.migrated > 0) {
        ctx.out(
          `original ${humanSize(summary.originalBytes)} -> stored ${humanSize(summary.storedBytes)}, ` +
            `${savedPercent(summary.originalBytes, summary.storedBytes)} (${humanSize(Math.max(0, summary.savedBytes))})`,
        );
      }
    }
    if (summary.failed > 0) ctx.fail(EXIT_FAILURE);
  } finally {
    await runtime.close();
  }
}

function printItem(ctx: CliContext, srcBucket: string, dstBucket: string, item: MigrateItem, quiet: boolean): void {
  const what = `${formatS3Url(srcBucket, item.sourceKey)} to ${formatS3Url(dstBucket, item.destKey)}`;
  if (item.action === 'failed') ctx.err(`migrate failed: ${what}: ${item.detail}`);
  else if (quiet) return;
  else if (item.action === 'would-migrate') ctx.out(`(dryrun) migrate: ${what}`);
  else if (item.action === 'skipped') ctx.out(`skip: ${what} (same SHA-256 already there)`);
  else ctx.out(`migrate: ${what} (${item.storedAs}, ${humanSize(item.originalSize)} -> ${humanSize(item.storedSize ?? 0)})`);
}

async function confirm(ctx: CliContext, question: string): Promise<boolean> {
  const rl = createInterface({ input: ctx.io.stdin, output: ctx.io.stderr });
  try {
    const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
