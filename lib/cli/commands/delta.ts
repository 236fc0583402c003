/**
 * `deltaglider delta encode|decode|info`: the codec on local files, no storage involved.
 * Useful on its own (an xdelta3-compatible tool with SHA-256 built in) and for checking
 * what the S3 layer stores.
 *
 *   delta encode [--source REF] TARGET DELTA     TARGET / DELTA may be `-` (stdin / stdout)
 *   delta decode [--source REF] DELTA OUT        DELTA / OUT may be `-`
 *   delta info DELTA
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Argv, CommandModule } from 'yargs';

import { createDecodeStream, createEncodeStream, inspectDelta } from '../../codec';
import type { CodecStream, DeltaInfo, SecondaryCompression } from '../../codec';
import { DeltaGliderError } from '../../errors';
import { CliContext, usageError } from '../context';
import { humanSize } from '../format';
import { numberOption } from '../number-option';

const STDIO = '-';
const MIN_WINDOW = 16 * 1024;
const MAX_WINDOW = 16 * 1024 * 1024;

/**
 * True for `-`. yargs 17 hands a `-` positional to string-typed positionals as '' (it
 * re-parses positionals as `--name -`), and '' is never a usable path, so both mean stdio.
 */
function isStdio(path: string): boolean {
  return path === STDIO || path === '';
}

/** The path as the user typed it (`-` restored), for messages and reports. */
function shown(path: string): string {
  return isStdio(path) ? STDIO : path;
}

// ---- small helpers ----------------------------------------------------------------------

/** "64K", "8M", "8MiB", "1048576" -> bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw usageError(`not a size: ${JSON.stringify(text)} (examples: 65536, 64K, 8M)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * unit;
}

async function fileSize(path: string, role: string): Promise<number> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new DeltaGliderError('ERR_DG_IO', `${role} ${path} is not a regular file`);
    return s.size;
  } catch (err) {
    if (err instanceof DeltaGliderError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DeltaGliderError(
      code === 'ENOENT' ? 'ERR_DG_NOT_FOUND' : 'ERR_DG_IO',
      `cannot read ${role} ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function inputStream(ctx: CliContext, path: string): Readable {
  return isStdio(path) ? (ctx.io.stdin as Readable) : createReadStream(path);
}

/** Runs input -> codec -> output. stdout is never ended: other output may follow it. */
async function run(input: Readable, codec: CodecStream, output: Writable, isStdout: boolean): Promise<void> {
  try {
    await pipeline(input, codec, output, { end: !isStdout });
  } catch (err) {
    if (err instanceof DeltaGliderError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new DeltaGliderError(code === 'ENOENT' ? 'ERR_DG_NOT_FOUND' : 'ERR_DG_IO', (err as Error).message, {
      cause: err,
    });
  }
}

/** Where human-readable reports go: stderr when stdout carries the data. */
function report(ctx: CliContext, dataOnStdout: boolean, line: string): void {
  if (dataOnStdout) ctx.err(line);
  else ctx.out(line);
}

function reportJson(ctx: CliContext, dataOnStdout: boolean, value: unknown): void {
  if (dataOnStdout) ctx.err(JSON.stringify(value, null, 2));
  else ctx.json(value);
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** A temp name beside the final one, so the rename is atomic (same file system). */
function tempNameFor(path: string): string {
  const abs = resolve(path);
  return join(dirname(abs), `.${basename(abs)}.dg-${process.pid}-${Date.now().toString(36)}.tmp`);
}

// ---- delta encode -----------------------------------------------------------------------

interface EncodeArgs {
  target: string;
  delta: string;
  source?: string;
  secondary: SecondaryCompression;
  'lzma-preset'?: number;
  'window-size'?: string;
  checksum: boolean;
  json?: boolean;
}

function encodeCommand(ctx: CliContext): CommandModule<object, EncodeArgs> {
  return {
    command: 'encode <target> <delta>',
    describe: 'Write DELTA, the difference from --source to TARGET (no --source: a self-contained delta)',
    builder: (y: Argv) =>
      y
        .positional('target', { type: 'string', describe: 'File to encode (- for stdin)', demandOption: true })
        .positional('delta', { type: 'string', describe: 'Delta to write (- for stdout)', demandOption: true })
        .option('source', { alias: 's', type: 'string', describe: 'Reference file the delta is made against' })
        .option('secondary', {
          choices: ['auto', 'lzma', 'none'] as const,
          default: 'auto' as const,
          describe: 'Secondary compression of the delta sections (none = plain RFC 3284)',
        })
        .option('lzma-preset', numberOption('lzma-preset', { min: 0, max: 9, integer: true }, {
          describe: 'Use liblzma at this preset (0..9) for all secondary compression (default: our fast LZMA2 encoder for large pieces, liblzma -1 for small ones)',
        }))
        .option('window-size', { type: 'string', describe: 'Target bytes per window, 16K..16M (default 16M)' })
        .option('checksum', { type: 'boolean', default: true, describe: 'Write adler32 window checksums (--no-checksum to omit)' })
        .option('json', { type: 'boolean', describe: 'Print the result as JSON' }) as unknown as Argv<EncodeArgs>,
    handler: (args) => encode(ctx, { ...args, target: shown(args.target), delta: shown(args.delta) }),
  };
}

async function encode(ctx: CliContext, args: EncodeArgs): Promise<void> {
  const windowSize = args['window-size'] === undefined ? undefined : parseSize(args['window-size']);
  if (windowSize !== undefined && (windowSize < MIN_WINDOW || windowSize > MAX_WINDOW)) {
    throw usageError(`--window-size must be between 16K and 16M (got ${windowSize})`);
  }
  const preset = args['lzma-preset'];
  const sourceSize = args.source === undefined ? undefined : await fileSize(args.source, 'source');
  if (!isStdio(args.target)) await fileSize(args.target, 'target');
  const toStdout = isStdio(args.delta);

  const started = process.hrtime.bigint();
  const codec = createEncodeStream({
    reference: args.source ?? null,
    secondary: args.secondary,
    checksum: args.checksum,
    ...(windowSize !== undefined && { windowSize }),
    ...(preset !== undefined && { lzmaPreset: preset }),
  });
  const tmp = toStdout ? undefined : tempNameFor(args.delta);
  const output = tmp ? createWriteStream(tmp) : (ctx.io.stdout as Writable);
  try {
    await run(inputStream(ctx, args.target), codec, output, toStdout);
    if (tmp) await rename(tmp, args.delta);
  } catch (err) {
    if (tmp) await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const result = codec.result;
  if (!result) throw new DeltaGliderError('ERR_DG_INTERNAL', 'encoder finished without a result');
  const elapsed = seconds(started);
  const ratio = result.size === 0 ? 0 : result.deltaSize / result.size;

  if (args.json) {
    reportJson(ctx, toStdout, {
      command: 'encode',
      source: args.source ?? null,
      target: args.target,
      delta: args.delta,
      sourceSize: sourceSize ?? 0,
      targetSize: result.size,
      deltaSize: result.deltaSize,
      ratio,
      sha256: result.sha256,
      seconds: elapsed,
    });
    return;
  }
  const against = args.source === undefined ? 'no source' : `source ${args.source} (${humanSize(sourceSize ?? 0)})`;
  report(ctx, toStdout, `encoded ${args.target} (${humanSize(result.size)}) against ${against}`);
  report(
    ctx,
    toStdout,
    `delta ${args.delta}: ${humanSize(result.deltaSize)} (${result.deltaSize} bytes), ` +
      `${(ratio * 100).toFixed(2)}% of the target, in ${elapsed.toFixed(2)} s`,
  );
  report(ctx, toStdout, `sha256 ${result.sha256}`);
}

// ---- delta decode -----------------------------------------------------------------------

interface DecodeArgs {
  delta: string;
  out: string;
  source?: string;
  sha256?: string;
  json?: boolean;
}

function decodeCommand(ctx: CliContext): CommandModule<object, DecodeArgs> {
  return {
    command: 'decode <delta> <out>',
    describe: 'Rebuild OUT from DELTA (and --source when the delta has source windows)',
    builder: (y: Argv) =>
      y
        .positional('delta', { type: 'string', describe: 'Delta to read (- for stdin)', demandOption: true })
        .positional('out', { type: 'string', describe: 'File to write (- for stdout)', demandOption: true })
        .option('source', { alias: 's', type: 'string', describe: 'Reference file the delta was made against' })
        .option('sha256', { type: 'string', describe: 'Expected SHA-256 (hex) of the output; fail if it differs' })
        .option('json', { type: 'boolean', describe: 'Print the result as JSON' }) as unknown as Argv<DecodeArgs>,
    handler: (args) => decode(ctx, { ...args, delta: shown(args.delta), out: shown(args.out) }),
  };
}

async function decode(ctx: CliContext, args: DecodeArgs): Promise<void> {
  if (args.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(args.sha256)) {
    throw usageError('--sha256 must be 64 hex digits');
  }
  if (args.source !== undefined) await fileSize(args.source, 'source');
  if (!isStdio(args.delta)) {
    await fileSize(args.delta, 'delta');
    // Fail early, with a hint, rather than deep inside the decoder.
    const info = await inspectDelta(args.delta);
    if (info.usesSource && args.source === undefined) {
      throw usageError(`${args.delta} was made against a reference: give it with --source`);
    }
  }
  const toStdout = isStdio(args.out);

  const started = process.hrtime.bigint();
  const codec = createDecodeStream({
    reference: args.source ?? null,
    ...(args.sha256 !== undefined && { expectedSha256: args.sha256.toLowerCase() }),
  });
  // A failed decode must leave nothing under OUT: write beside it, rename when verified.
  const tmp = toStdout ? undefined : tempNameFor(args.out);
  const output = tmp ? createWriteStream(tmp) : (ctx.io.stdout as Writable);
  try {
    await run(inputStream(ctx, args.delta), codec, output, toStdout);
    if (tmp) await rename(tmp, args.out);
  } catch (err) {
    if (tmp) await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const result = codec.result;
  if (!result) throw new DeltaGliderError('ERR_DG_INTERNAL', 'decoder finished without a result');
  const elapsed = seconds(started);

  if (args.json) {
    reportJson(ctx, toStdout, {
      command: 'decode',
      source: args.source ?? null,
      delta: args.delta,
      out: args.out,
      deltaSize: result.deltaSize,
      size: result.size,
      sha256: result.sha256,
      sha256Verified: args.sha256 !== undefined,
      seconds: elapsed,
    });
    return;
  }
  report(
    ctx,
    toStdout,
    `decoded ${args.delta} (${humanSize(result.deltaSize)}) -> ${args.out} (${humanSize(result.size)}) in ${elapsed.toFixed(2)} s`,
  );
  report(ctx, toStdout, `sha256 ${result.sha256}${args.sha256 !== undefined ? ' (verified)' : ''}`);
}

// ---- delta info -------------------------------------------------------------------------

interface InfoArgs {
  delta: string;
  json?: boolean;
}

function infoCommand(ctx: CliContext): CommandModule<object, InfoArgs> {
  return {
    command: 'info <delta>',
    describe: 'Show a delta\'s header and windows without decoding it',
    builder: (y: Argv) =>
      y
        .positional('delta', { type: 'string', describe: 'Delta to inspect (- for stdin)', demandOption: true })
        .option('json', { type: 'boolean', describe: 'Print the result as JSON' }) as unknown as Argv<InfoArgs>,
    handler: (args) => info(ctx, { ...args, delta: shown(args.delta) }),
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function flagNames(value: number, names: string[]): string {
  const set = names.filter((_, bit) => value & (1 << bit));
  return set.length ? set.join(' ') : 'none';
}

async function info(ctx: CliContext, args: InfoArgs): Promise<void> {
  const delta: DeltaInfo = await inspectDelta(isStdio(args.delta) ? await readAll(ctx.io.stdin) : args.delta);
  if (args.json) {
    ctx.json({ delta: args.delta, ...delta });
    return;
  }
  const hex = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
  ctx.out(`delta:                ${args.delta} (${humanSize(delta.size)}, ${delta.size} bytes)`);
  ctx.out(
    `header indicator:     ${hex(delta.headerIndicator)} ` +
      `(${flagNames(delta.headerIndicator, ['VCD_SECONDARY', 'VCD_CODETABLE', 'VCD_APPHEADER'])})`,
  );
  ctx.out(`secondary compressor: ${delta.secondaryCompressor}`);
  if (delta.appHeader !== undefined) ctx.out(`application header:   ${JSON.stringify(delta.appHeader)}`);
  ctx.out(`target size:          ${humanSize(delta.targetSize)} (${delta.targetSize} bytes)`);
  ctx.out(`uses a source:        ${delta.usesSource ? 'yes' : 'no'}`);
  ctx.out(`adler32 checksums:    ${delta.checksums ? 'yes' : 'no'}`);
  ctx.out(`windows:              ${delta.windows.length}`);
  if (delta.windows.length === 0) return;

  const rows = delta.windows.map((w) => [
    String(w.index),
    String(w.offset),
    flagNames(w.indicator, ['SOURCE', 'TARGET', 'ADLER32']),
    w.sourceSegment ? `${w.sourceSegment.position}+${w.sourceSegment.length}` : '-',
    String(w.targetLength),
    flagNames(w.deltaIndicator, ['DATA', 'INST', 'ADDR']),
    String(w.dataLength),
    String(w.instructionsLength),
    String(w.addressesLength),
    w.adler32 ?? '-',
  ]);
  const head = ['#', 'offset', 'indicator', 'source pos+len', 'target', 'compressed', 'data', 'inst', 'addr', 'adler32'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 2 || i === 5 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  ctx.out('');
  ctx.out(line(head));
  for (const r of rows) ctx.out(line(r));
}

// ---- the `delta` group ------------------------------------------------------------------

export function deltaCommand(ctx: CliContext): CommandModule {
  return {
  command: 'delta',
  describe: 'Encode, decode or inspect VCDIFF deltas on local files (xdelta3-compatible)',
  builder: (y: Argv) =>
    y
      .command(encodeCommand(ctx))
      .command(decodeCommand(ctx))
      .command(infoCommand(ctx))
      .demandCommand(1, 'Give a delta subcommand: encode, decode or info.'),
    handler: () => undefined,
  };
}
