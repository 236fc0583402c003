/**
 * `deltaglider stats BUCKET` — how much DeltaGlider saves in a bucket. Modes trade accuracy
 * for requests (quick: listing only; sampled: one HEAD per deltaspace; detailed: every delta);
 * results are cached in the bucket and reused while its listing is unchanged.
 */
import type { Argv, CommandModule } from 'yargs';

import { computeBucketStats, STATS_MODES, type BucketStats, type StatsMode } from '../../core/stats';
import { CliContext } from '../context';
import { humanSize } from '../format';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';
import { bucketArgument } from '../bucket-argument';
import { numberOption } from '../number-option';

interface StatsArgs extends GlobalArgs {
  bucket: string;
  mode: StatsMode;
  refresh?: boolean;
  cache?: boolean;
  maxObjects?: number;
}

export function statsCommand(ctx: CliContext): CommandModule<object, StatsArgs> {
  return {
    command: 'stats <bucket>',
    describe: 'Show how much space DeltaGlider saves in a bucket',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('bucket', { type: 'string', demandOption: true, describe: 'Bucket name or s3://bucket' })
          .option('mode', {
            choices: STATS_MODES,
            default: 'quick' as StatsMode,
            describe: 'quick: listing only (estimates); sampled: one HEAD per deltaspace; detailed: exact, a HEAD per delta',
          })
          .option('refresh', { type: 'boolean', describe: 'Recompute even if the cached result is still valid' })
          .option('cache', { type: 'boolean', default: true, describe: 'Use and update the cache in the bucket (--no-cache: neither)' })
          .option('max-objects', numberOption('max-objects', { min: 1, max: Number.MAX_SAFE_INTEGER, integer: true }, { describe: 'Stop listing after this many stored objects' })),
      ) as unknown as Argv<StatsArgs>,
    handler: (args: StatsArgs) => runStats(ctx, args),
  };
}

async function runStats(ctx: CliContext, args: StatsArgs): Promise<void> {
  const bucket = bucketArgument(args.bucket);
  const runtime = openRuntime(args, ctx.io);
  try {
    const result = await computeBucketStats(runtime.storage, bucket, {
      mode: args.mode,
      useCache: args.cache !== false,
      refresh: args.refresh,
      maxObjects: args.maxObjects,
    });
    if (args.json) {
      ctx.json({ ...result.stats, fromCache: result.fromCache });
      return;
    }
    for (const line of statsLines(result.stats, result.fromCache)) ctx.out(line);
  } finally {
    await runtime.close();
  }
}

export function statsLines(s: BucketStats, fromCache: boolean): string[] {
  const size = (n: number) => `${humanSize(n)} (${n} bytes)`;
  const lines = [
    `Bucket:          ${s.bucket}`,
    `Mode:            ${s.mode}${fromCache ? ` (cached result from ${s.computedAt})` : ''}`,
    `Objects:         ${s.objectCount} (${s.deltaCount} delta, ${s.directCount} direct; ${s.referenceCount} reference${s.referenceCount === 1 ? '' : 's'})`,
    `Original size:   ${s.estimated ? '~' : ''}${size(s.originalSize)}`,
    `Stored size:     ${size(s.storedSize)}`,
    `Space saved:     ${s.estimated ? '~' : ''}${size(s.spaceSaved)} (${s.savingsPercent.toFixed(1)}%)`,
    `Ratio:           ${s.ratio.toFixed(3)} (stored / original)`,
  ];
  if (s.deltaFormats && Object.keys(s.deltaFormats).length > 0) {
    const kinds = Object.entries(s.deltaFormats).map(([kind, n]) => `${n} ${kind}`).join(', ');
    lines.push(`Delta formats:   ${kinds} (vcdiff: readable by the Python DeltaGlider and xdelta3; dgd: DeltaGlider's own)`);
  }
  if (s.estimated) {
    lines.push(`Note: original sizes of deltas are estimated in ${s.mode} mode; --mode detailed gives exact numbers.`);
  }
  if (s.listingCapped) lines.push('Note: the listing was capped (--max-objects): these numbers cover only part of the bucket.');
  return lines;
}
