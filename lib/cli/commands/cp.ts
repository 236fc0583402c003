/**
 * `deltaglider cp SRC DST` — like `aws s3 cp`, storing delta candidates as deltas and
 * rebuilding them byte-exact on the way back. Local -> S3, S3 -> local, S3 -> S3 (rebuilt and
 * re-stored, so the destination deltaspace gets its own reference), `-` for stdin/stdout.
 */
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Argv, CommandModule } from 'yargs';

import { DeltaGliderError } from '../../errors';
import type { DeltaServiceApi, ServicePutOptions } from '../../core/types';
import { CliContext, EXIT_FAILURE, usageError } from '../context';
import { checkArguments, describeEndpoint, planTransfers, Transfer } from '../cp-plan';
import { filterFromArgs } from '../filters';
import { parseMetadataOption, userMetadata } from '../metadata-option';
import { mapLimit } from '../../core/concurrency';
import { createProgress, Progress } from '../progress';
import { DELTA_FORMAT_OPTION, GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';
import { scratchDir } from '../../core/temp-files';
import { failure, putOutcome, resultLine, TransferResult } from '../transfer-report';
import { MAX_RATIO, numberOption } from '../number-option';

/** Transfers in flight at once for --recursive (each is disk + network + codec bound). */
export const PARALLEL_TRANSFERS = 4;

interface CpArgs extends GlobalArgs {
  source: string;
  destination: string;
  recursive?: boolean;
  include?: string[];
  exclude?: string[];
  dryrun?: boolean;
  onlyShowErrors?: boolean;
  delta?: boolean;
  maxRatio?: number;
  deltaFormat?: 'auto' | 'vcdiff';
  contentType?: string;
  metadata?: string;
}

export function builder(y: Argv): Argv<CpArgs> {
  return withGlobalOptions(
    y
      .positional('source', { type: 'string', demandOption: true, describe: 'Local path, s3://bucket/key, or - for stdin' })
      .positional('destination', { type: 'string', demandOption: true, describe: 'Local path, s3://bucket/key, or - for stdout' })
      .option('recursive', { type: 'boolean', describe: 'Copy a directory tree or every object under a prefix' })
      .option('include', { type: 'string', array: true, describe: 'Transfer paths matching this glob (later filters win)' })
      .option('exclude', { type: 'string', array: true, describe: 'Skip paths matching this glob (later filters win)' })
      .option('dryrun', { type: 'boolean', describe: 'Show what would be transferred, change nothing' })
      .option('only-show-errors', { type: 'boolean', describe: 'Print only errors' })
      .option('delta', { type: 'boolean', default: true, describe: 'Store delta candidates as deltas (--no-delta stores files as they are)' })
      .option('max-ratio', numberOption('max-ratio', MAX_RATIO, { describe: 'Keep a delta only if delta size <= ratio * file size (0..1, default 0.5)' }))
      .option('delta-format', DELTA_FORMAT_OPTION)
      .option('content-type', { type: 'string', describe: 'Content type to store with uploaded objects' })
      .option('metadata', { type: 'string', describe: 'User metadata: k=v,k2=v2 or a JSON object' }),
  ) as unknown as Argv<CpArgs>;
}

export function cpCommand(ctx: CliContext): CommandModule<object, CpArgs> {
  return {
    command: 'cp <source> <destination>',
    describe: 'Copy files to, from or between S3 locations (deltas where they pay)',
    builder,
    handler: (args: CpArgs) => runCp(ctx, args),
  };
}

async function runCp(ctx: CliContext, rawArgs: CpArgs): Promise<void> {
  const args = { ...rawArgs, source: stdioArgument(ctx, rawArgs.source), destination: stdioArgument(ctx, rawArgs.destination) };
  const recursive = Boolean(args.recursive);
  checkArguments({ source: args.source, destination: args.destination, recursive });
  const putOptions: ServicePutOptions = {
    ...(args.maxRatio !== undefined ? { maxRatio: args.maxRatio } : {}),
    ...(args.delta === false ? { noDelta: true } : {}),
    ...(args.contentType !== undefined ? { contentType: args.contentType } : {}),
  };
  const metadata = args.metadata !== undefined ? parseMetadataOption(args.metadata) : undefined;
  const filter = filterFromArgs(ctx.argv, args.include, args.exclude);

  const runtime = openRuntime(args, ctx.io, { maxRatio: args.maxRatio, deltaFormat: args.deltaFormat });
  try {
    const transfers = await planTransfers({
      source: args.source,
      destination: args.destination,
      recursive,
      filter,
      cwd: ctx.io.cwd,
      service: runtime.service,
    });
    const quiet = Boolean(args.quiet || args.onlyShowErrors);
    const progress = createProgress(ctx.io, { quiet, noProgress: args.progress === false || args.dryrun, json: args.json });
    const executor = new TransferExecutor(ctx, runtime.service, progress, putOptions, metadata);
    let results: TransferResult[];
    try {
      results = await mapLimit(transfers, recursive ? PARALLEL_TRANSFERS : 1, async (transfer) => {
        const result = args.dryrun ? dryRunResult(transfer) : await executor.run(transfer);
        if (!args.json) printResult(ctx, progress, result, quiet);
        return result;
      });
    } finally {
      progress.stop();
    }
    // A single file the filters skipped: null, so the output still parses.
    if (args.json) ctx.json(recursive ? results : (results[0] ?? null));
    if (results.some((r) => r.status === 'failed')) ctx.fail(EXIT_FAILURE);
  } finally {
    await runtime.close();
  }
}

/**
 * yargs-parser reads a lone `-` as an option with an empty name, so the positional arrives as
 * '' (or true). The raw argv says whether a `-` was really given.
 */
function stdioArgument(ctx: CliContext, value: unknown): string {
  if ((value === '' || value === true) && ctx.argv.includes('-')) return '-';
  if (typeof value !== 'string' || value === '') throw usageError('cp needs a source and a destination');
  return value;
}

function baseResult(transfer: Transfer): TransferResult {
  return {
    operation: transfer.operation,
    source: describeEndpoint(transfer.from),
    destination: describeEndpoint(transfer.to),
    status: 'ok',
  };
}

function dryRunResult(transfer: Transfer): TransferResult {
  return { ...baseResult(transfer), status: 'dryrun' };
}

function printResult(ctx: CliContext, progress: Progress, result: TransferResult, quiet: boolean): void {
  if (result.status === 'failed') progress.print(resultLine(result), (line) => ctx.err(line));
  // A download to stdout IS the output: no status line may be mixed into it.
  else if (!quiet && result.destination !== '-') progress.print(resultLine(result), (line) => ctx.out(line));
}

/** Runs one planned transfer and turns any failure into a result (recursive runs go on). */
class TransferExecutor {
  constructor(
    private readonly ctx: CliContext,
    private readonly service: DeltaServiceApi,
    private readonly progress: Progress,
    private readonly putOptions: ServicePutOptions,
    private readonly metadata: Record<string, string> | undefined,
  ) {}

  async run(transfer: Transfer): Promise<TransferResult> {
    const result = baseResult(transfer);
    const bar = this.progress.bar(`${transfer.operation} ${result.destination}`, transfer.size ?? 0);
    try {
      const outcome = await this.execute(transfer, (bytes, total) => bar.update(bytes, total));
      return { ...result, ...outcome };
    } catch (err) {
      return { ...result, status: 'failed', error: failure(err) };
    } finally {
      bar.done();
    }
  }

  private async execute(transfer: Transfer, onProgress: (bytes: number, total?: number) => void): Promise<Partial<TransferResult>> {
    const { from, to } = transfer;
    if (transfer.operation === 'upload' && to.kind === 's3') {
      const source = from.kind === 'local' ? from.path : (this.ctx.io.stdin as Readable);
      const put = await this.service.put(source, to.bucket, to.key, {
        ...this.putOptions,
        ...(this.metadata ? { metadata: this.metadata } : {}),
        onProgress,
      });
      return putOutcome(put);
    }
    if (transfer.operation === 'download' && from.kind === 's3') {
      if (to.kind === 'stdio') return this.downloadToStdout(from.bucket, from.key);
      if (to.kind !== 'local') throw new DeltaGliderError('ERR_DG_INTERNAL', 'download needs a local destination');
      await mkdir(dirname(to.path), { recursive: true });
      const got = await this.service.get(from.bucket, from.key, to.path, { onProgress });
      return { kind: got.kind, size: got.size, sha256: got.sha256 };
    }
    if (transfer.operation === 'copy' && from.kind === 's3' && to.kind === 's3') {
      return this.copy(from, to, onProgress);
    }
    throw new DeltaGliderError('ERR_DG_INTERNAL', `unsupported transfer ${transfer.operation}`);
  }

  private async downloadToStdout(bucket: string, key: string): Promise<Partial<TransferResult>> {
    const { body, object } = await this.service.openRead(bucket, key);
    // end: false — the process's stdout must stay usable (and open) after the copy.
    await pipeline(body, this.ctx.io.stdout, { end: false });
    return { kind: object.kind, size: object.size, ...(object.sha256 ? { sha256: object.sha256 } : {}) };
  }

  /**
   * S3 -> S3: rebuild the original into a private temp file, then store it as a new upload,
   * so the delta is re-encoded against the destination deltaspace's own reference.
   */
  private async copy(
    from: { bucket: string; key: string },
    to: { bucket: string; key: string },
    onProgress: (bytes: number, total?: number) => void,
  ): Promise<Partial<TransferResult>> {
    const head = await this.service.head(from.bucket, from.key);
    if (!head) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `s3://${from.bucket}/${from.key} does not exist`);
    const scratch = await scratchDir(join(tmpdir(), 'deltaglider'));
    try {
      // The key decides how it is stored, not this name (a key's last segment could be `..`).
      const file = join(scratch.path, 'object');
      await this.service.get(from.bucket, from.key, file, { onProgress: (bytes) => onProgress(bytes / 2, head.size) });
      const put = await this.service.put(file, to.bucket, to.key, {
        ...this.putOptions,
        contentType: this.putOptions.contentType ?? head.contentType,
        metadata: this.metadata ?? userMetadata(head.metadata),
        onProgress: (bytes) => onProgress(head.size / 2 + bytes / 2, head.size),
      });
      return putOutcome(put);
    } finally {
      await scratch.dispose();
    }
  }
}
