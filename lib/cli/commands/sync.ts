/**
 * `deltaglider sync SRC DEST` — like `aws s3 sync`: local -> S3, S3 -> local, S3 -> S3.
 * Compares ORIGINAL sizes and times (see lib/core/sync-plan.ts), so a second run over
 * unchanged data transfers nothing. `--delete` removes destination objects that have no
 * source, delta-aware: deletions run after the uploads, one at a time per deltaspace, through
 * the service, which drops a reference.bin exactly when the last delta needing it is gone.
 */
import { mkdir, unlink, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Argv, CommandModule } from 'yargs';

import { DeltaGliderError } from '../../errors';
import { forEachLimit } from '../../core/pool';
import { scratchDir } from '../../core/temp-files';
import { groupByDeltaspace, planSync, type SyncDirection } from '../../core/sync-plan';
import type { DeltaServiceApi } from '../../core/types';
import { CliContext, EXIT_FAILURE, usageError } from '../context';
import { userMetadata } from '../metadata-option';
import { filterFromArgs } from '../filters';
import { assertSafeRelative } from '../local-files';
import { createProgress, type Progress } from '../progress';
import { DELTA_FORMAT_OPTION, GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';
import {
  describeEntry, listSide, localPathOf, parseSyncSide,
  type AnySyncEntry, type LocalSyncEntry, type S3SyncEntry, type SyncSide,
} from '../sync-endpoints';
import { failure, putOutcome, resultLine, type TransferResult } from '../transfer-report';
import { CONCURRENCY, MAX_RATIO, numberOption } from '../number-option';

export const DEFAULT_SYNC_CONCURRENCY = 8;

interface SyncArgs extends GlobalArgs {
  source: string;
  destination: string;
  delete?: boolean;
  sizeOnly?: boolean;
  exactTimestamps?: boolean;
  include?: string[];
  exclude?: string[];
  dryrun?: boolean;
  concurrency?: number;
  onlyShowErrors?: boolean;
  maxRatio?: number;
  deltaFormat?: 'auto' | 'vcdiff';
}

export function syncCommand(ctx: CliContext): CommandModule<object, SyncArgs> {
  return {
    command: 'sync <source> <destination>',
    describe: 'Make a destination match a source (directory or S3 prefix), transferring only what changed',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('source', { type: 'string', demandOption: true, describe: 'Local directory or s3://bucket/prefix/' })
          .positional('destination', { type: 'string', demandOption: true, describe: 'Local directory or s3://bucket/prefix/' })
          .option('delete', { type: 'boolean', describe: 'Delete destination files that are not in the source (delta-aware)' })
          .option('size-only', { type: 'boolean', describe: 'Compare original sizes only, not timestamps' })
          .option('exact-timestamps', { type: 'boolean', describe: 'From S3: transfer when timestamps differ at all, not only when newer' })
          .option('include', { type: 'string', array: true, describe: 'Sync paths matching this glob (later filters win)' })
          .option('exclude', { type: 'string', array: true, describe: 'Skip paths matching this glob (later filters win)' })
          .option('dryrun', { type: 'boolean', describe: 'Show what would be done, change nothing' })
          .option('only-show-errors', { type: 'boolean', describe: 'Print only errors' })
          .option('concurrency', numberOption('concurrency', CONCURRENCY, { default: DEFAULT_SYNC_CONCURRENCY, describe: 'Transfers in flight (1..1024)' }))
          .option('max-ratio', numberOption('max-ratio', MAX_RATIO, { describe: 'Keep a delta only if delta size <= ratio * file size (0..1)' }))
          .option('delta-format', DELTA_FORMAT_OPTION),
      ) as unknown as Argv<SyncArgs>,
    handler: (args: SyncArgs) => runSync(ctx, args),
  };
}

interface SyncReport {
  results: TransferResult[];
  summary: { transferred: number; deleted: number; unchanged: number; failed: number };
}

async function runSync(ctx: CliContext, args: SyncArgs): Promise<void> {
  const source = parseSyncSide(args.source, ctx.io.cwd);
  const destination = parseSyncSide(args.destination, ctx.io.cwd);
  const direction = directionOf(source, destination);
  const concurrency = args.concurrency ?? DEFAULT_SYNC_CONCURRENCY;
  const filter = filterFromArgs(ctx.argv, args.include, args.exclude);

  const runtime = openRuntime(args, ctx.io, { maxRatio: args.maxRatio, deltaFormat: args.deltaFormat });
  const quiet = Boolean(args.quiet || args.onlyShowErrors);
  const progress = createProgress(ctx.io, { quiet, noProgress: args.progress === false || args.dryrun, json: args.json });
  try {
    const [sources, dests] = await Promise.all([
      listSide(source, runtime.service, 'source'),
      listSide(destination, runtime.service, 'destination'),
    ]);
    const plan = await planSync(sources, dests, {
      direction,
      sizeOnly: args.sizeOnly,
      exactTimestamps: args.exactTimestamps,
      deleteExtra: Boolean(args.delete),
      filter: (key) => filter.includes(key),
    });
    const report: SyncReport = { results: [], summary: { transferred: 0, deleted: 0, unchanged: plan.unchanged, failed: 0 } };
    const emit = (result: TransferResult): void => {
      report.results.push(result);
      if (result.status === 'failed') report.summary.failed++;
      else if (result.operation === 'delete') report.summary.deleted++;
      else report.summary.transferred++;
      if (args.json) return;
      if (result.status === 'failed') ctx.err(resultLine(result));
      else if (!quiet) ctx.out(resultLine(result));
    };

    const executor = new SyncExecutor(runtime.service, source, destination, direction, progress);
    await forEachLimit(plan.transfers, concurrency, async ({ source: entry }) => {
      emit(args.dryrun ? executor.dryRun(entry) : await executor.transfer(entry));
    });
    // Deletions after the uploads: a new delta may need a reference an old one used.
    const groups = destination.kind === 's3' ? groupByDeltaspace(plan.deletes, (e) => e.key) : plan.deletes.map((e) => [e]);
    await forEachLimit(groups, concurrency, async (group) => {
      for (const entry of group) emit(args.dryrun ? executor.dryRunDelete(entry) : await executor.delete(entry));
    });
    if (args.delete && destination.kind === 's3') {
      // Mirror means no leftovers: references no delta needs any more (an upload that
      // failed after its reference, a delete that stopped half way) go too.
      for (const result of await executor.deleteOrphanReferences(Boolean(args.dryrun), (key) => !filter.includes(key))) emit(result);
    }

    if (args.json) ctx.json(report);
    if (report.summary.failed > 0) ctx.fail(EXIT_FAILURE);
  } finally {
    progress.stop();
    await runtime.close();
  }
}

function directionOf(source: SyncSide, destination: SyncSide): SyncDirection {
  if (source.kind === 'local' && destination.kind === 's3') return 'upload';
  if (source.kind === 's3' && destination.kind === 'local') return 'download';
  if (source.kind === 's3' && destination.kind === 's3') return 'copy';
  throw usageError('sync needs at least one s3:// location (local to local is not supported)');
}

/** Runs the planned operations; every failure becomes a result, so the others go on. */
class SyncExecutor {
  /** The first upload into a deltaspace becomes its reference; the others wait for it. */

  constructor(
    private readonly service: DeltaServiceApi,
    private readonly source: SyncSide,
    private readonly destination: SyncSide,
    private readonly direction: SyncDirection,
    private readonly progress: Progress,
  ) {}

  private base(entry: AnySyncEntry): TransferResult {
    return {
      operation: this.direction,
      source: describeEntry(this.source, entry.key),
      destination: describeEntry(this.destination, entry.key),
      status: 'ok',
    };
  }

  dryRun(entry: AnySyncEntry): TransferResult {
    return { ...this.base(entry), status: 'dryrun' };
  }

  dryRunDelete(entry: AnySyncEntry): TransferResult {
    return { operation: 'delete', source: describeEntry(this.destination, entry.key), status: 'dryrun' };
  }

  async transfer(entry: AnySyncEntry): Promise<TransferResult> {
    const result = this.base(entry);
    const bar = this.progress.bar(`${this.direction} ${result.destination}`, entry.size);
    const onProgress = (bytes: number, total?: number) => bar.update(bytes, total);
    try {
      if (this.direction === 'upload') return { ...result, ...(await this.upload(entry as LocalSyncEntry, onProgress)) };
      if (this.direction === 'download') return { ...result, ...(await this.download(entry as S3SyncEntry, onProgress)) };
      return { ...result, ...(await this.copy(entry as S3SyncEntry, onProgress)) };
    } catch (err) {
      return { ...result, status: 'failed', error: failure(err) };
    } finally {
      bar.done();
    }
  }

  async delete(entry: AnySyncEntry): Promise<TransferResult> {
    const result: TransferResult = { operation: 'delete', source: describeEntry(this.destination, entry.key), status: 'ok' };
    try {
      const dest = this.destination;
      if (dest.kind === 's3') await this.service.delete(dest.bucket, dest.prefix + entry.key);
      else await unlink(localPathOf(dest, entry.key));
      return result;
    } catch (err) {
      return { ...result, status: 'failed', error: failure(err) };
    }
  }

  async deleteOrphanReferences(dryRun: boolean, excluded: (relative: string) => boolean): Promise<TransferResult[]> {
    const dest = this.s3Destination();
    const relative = (key: string) => key.slice(dest.prefix.length);
    try {
      const { deletedKeys } = await this.service.deleteOrphanReferences(dest.bucket, dest.prefix, {
        dryRun,
        keep: (key) => excluded(relative(key)),
      });
      const status = dryRun ? 'dryrun' : 'ok';
      return deletedKeys.map((key) => ({ operation: 'delete', source: describeEntry(dest, relative(key)), status }));
    } catch (err) {
      return [{ operation: 'delete', source: describeEntry(dest, 'reference.bin'), status: 'failed', error: failure(err) }];
    }
  }

  private async upload(entry: LocalSyncEntry, onProgress: (b: number, t?: number) => void): Promise<Partial<TransferResult>> {
    const dest = this.s3Destination();
    const key = dest.prefix + entry.key;
    const put = await this.service.put(entry.path, dest.bucket, key, { onProgress });
    return putOutcome(put);
  }

  private async download(entry: S3SyncEntry, onProgress: (b: number, t?: number) => void): Promise<Partial<TransferResult>> {
    const dest = this.destination;
    if (dest.kind !== 'local') throw new DeltaGliderError('ERR_DG_INTERNAL', 'download needs a local destination');
    assertSafeRelative(entry.key, describeEntry(this.source, entry.key));
    const path = localPathOf(dest, entry.key);
    await mkdir(dirname(path), { recursive: true });
    const got = await this.service.get(entry.object.bucket, entry.object.key, path, { onProgress });
    // The file takes the object's time, as aws does, so the next sync sees it as up to date.
    await utimes(path, entry.lastModified, entry.lastModified);
    return { kind: got.kind, size: got.size, sha256: got.sha256 };
  }

  /** S3 -> S3: rebuild into a temp file, store again against the destination's reference. */
  private async copy(entry: S3SyncEntry, onProgress: (b: number, t?: number) => void): Promise<Partial<TransferResult>> {
    const dest = this.s3Destination();
    const key = dest.prefix + entry.key;
    const scratch = await scratchDir(join(tmpdir(), 'deltaglider'));
    try {
      const file = join(scratch.path, 'object');
      await this.service.get(entry.object.bucket, entry.object.key, file, { onProgress: (b) => onProgress(b / 2, entry.size) });
      const put = await this.service.put(file, dest.bucket, key, {
        contentType: entry.object.contentType,
        metadata: userMetadata(entry.object.metadata),
        onProgress: (b) => onProgress(entry.size / 2 + b / 2, entry.size),
      });
      return putOutcome(put);
    } finally {
      await scratch.dispose();
    }
  }

  private s3Destination(): Extract<SyncSide, { kind: 's3' }> {
    if (this.destination.kind !== 's3') throw new DeltaGliderError('ERR_DG_INTERNAL', 'expected an s3 destination');
    return this.destination;
  }
}
