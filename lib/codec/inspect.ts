/**
 * Reads the structure of a VCDIFF delta (RFC 3284 plus xdelta3's extensions) without
 * decoding it: the file header and every window header, skipping the section bodies.
 * Pure TypeScript, no addon, so `deltaglider delta info` works even where the native
 * module does not load. Files are read in small chunks: a multi-GB delta costs one read
 * per window header, never its size in memory.
 */
import { open, type FileHandle } from 'node:fs/promises';

import { DeltaGliderError } from '../errors';
import type { DeltaInfo, DeltaWindowInfo } from './types';

const MAGIC = [0xd6, 0xc3, 0xc4];
const HDR_SECONDARY = 0x01;
const HDR_CODETABLE = 0x02;
const HDR_APPHEADER = 0x04;
const WIN_SOURCE = 0x01;
const WIN_TARGET = 0x02;
const WIN_ADLER32 = 0x04;
const DELTA_INDICATOR_BITS = 0x07;
const MAX_APP_HEADER = 64 * 1024; // as native/include/dg/limits.h
const MAX_U32 = 0xffffffff;
/** A window header is at most 1 + 5 + 10 + 5 + 5 + 1 + 3*5 + 4 = 46 bytes. */
const WINDOW_HEADER_MAX = 64;
const READ_CHUNK = 64 * 1024;

const SECONDARY_IDS: Record<number, DeltaInfo['secondaryCompressor']> = {
  1: 'djw',
  2: 'lzma',
  16: 'fgk',
};

function corrupt(message: string): DeltaGliderError {
  return new DeltaGliderError('ERR_DG_CORRUPT_DELTA', `corrupt delta: ${message}`);
}

/** Random access to the delta's bytes, from a file or from memory. */
interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    read: async (offset, length) => buf.subarray(offset, offset + length),
    close: async () => undefined,
  };
}

async function fileSource(path: string): Promise<ByteSource> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DeltaGliderError(
      code === 'ENOENT' ? 'ERR_DG_NOT_FOUND' : 'ERR_DG_IO',
      `cannot open delta ${path}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const { size } = await fh.stat();
  return {
    size,
    read: async (offset, length) => {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, offset);
      return buf.subarray(0, bytesRead);
    },
    close: () => fh.close(),
  };
}

/**
 * A cursor over the source. `need(n)` makes the next n bytes (or all that remain) available;
 * the field readers are then synchronous. Reading past the end means the delta is truncated.
 */
class Cursor {
  pos = 0;
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;

  constructor(private readonly src: ByteSource) {}

  get size(): number {
    return this.src.size;
  }

  async need(n: number): Promise<void> {
    const end = Math.min(this.pos + n, this.src.size);
    if (this.pos >= this.bufStart && end <= this.bufStart + this.buf.length) return;
    const length = Math.min(Math.max(n, READ_CHUNK), this.src.size - this.pos);
    this.buf = await this.src.read(this.pos, length);
    this.bufStart = this.pos;
    if (this.buf.length < end - this.pos) throw corrupt(`file shrank while reading at byte ${this.pos}`);
  }

  byte(what: string): number {
    const i = this.pos - this.bufStart;
    if (this.pos >= this.src.size) throw corrupt(`truncated: ${what} missing at byte ${this.pos}`);
    if (i < 0 || i >= this.buf.length) throw new DeltaGliderError('ERR_DG_INTERNAL', `inspect: read outside buffer at ${this.pos}`);
    this.pos++;
    return this.buf[i];
  }

  bytes(n: number, what: string): Buffer {
    if (this.pos + n > this.src.size) throw corrupt(`truncated: ${what} (${n} bytes) at byte ${this.pos}`);
    const i = this.pos - this.bufStart;
    if (i < 0 || i + n > this.buf.length) throw new DeltaGliderError('ERR_DG_INTERNAL', `inspect: read outside buffer at ${this.pos}`);
    this.pos += n;
    return this.buf.subarray(i, i + n);
  }

  /** A VCDIFF integer (base 128, most significant digit first) no larger than `max`. */
  varint(what: string, max: number): number {
    const start = this.pos;
    let value = 0;
    for (;;) {
      const b = this.byte(what);
      value = value * 128 + (b & 0x7f);
      if (value > max) throw corrupt(`${what} at byte ${start} overflows (more than ${max})`);
      if ((b & 0x80) === 0) return value;
    }
  }

  skipTo(offset: number, what: string): void {
    if (offset > this.src.size) {
      throw corrupt(`truncated: ${what} ends at byte ${offset} but the delta has ${this.src.size}`);
    }
    this.pos = offset;
  }
}

interface FileHeader {
  headerIndicator: number;
  secondaryCompressor: DeltaInfo['secondaryCompressor'];
  appHeader?: string;
}

async function readFileHeader(cur: Cursor): Promise<FileHeader> {
  await cur.need(WINDOW_HEADER_MAX);
  if (cur.size < MAGIC.length || !MAGIC.every((m) => cur.byte('magic') === m)) {
    throw corrupt('not a VCDIFF delta (bad magic bytes)');
  }
  const version = cur.byte('version');
  if (version !== 0) {
    throw new DeltaGliderError('ERR_DG_UNSUPPORTED', `unsupported VCDIFF version 0x${version.toString(16)} (only 0)`);
  }
  const headerIndicator = cur.byte('header indicator');
  if (headerIndicator & ~(HDR_SECONDARY | HDR_CODETABLE | HDR_APPHEADER)) {
    throw corrupt(`header indicator 0x${headerIndicator.toString(16)} has reserved bits set`);
  }
  let secondaryCompressor: DeltaInfo['secondaryCompressor'] = 'none';
  if (headerIndicator & HDR_SECONDARY) {
    const id = cur.byte('secondary compressor id');
    secondaryCompressor = SECONDARY_IDS[id] ?? `unknown(${id})`;
  }
  if (headerIndicator & HDR_CODETABLE) {
    // An application-defined code table: its data is skipped, inspecting needs only lengths.
    const length = cur.varint('code table length', MAX_U32);
    cur.skipTo(cur.pos + length, 'code table');
    await cur.need(WINDOW_HEADER_MAX);
  }
  let appHeader: string | undefined;
  if (headerIndicator & HDR_APPHEADER) {
    const length = cur.varint('application header length', MAX_U32);
    if (length > MAX_APP_HEADER) {
      throw new DeltaGliderError('ERR_DG_LIMIT', `application header of ${length} bytes exceeds ${MAX_APP_HEADER}`);
    }
    await cur.need(length);
    appHeader = cur.bytes(length, 'application header').toString('utf8');
  }
  return { headerIndicator, secondaryCompressor, appHeader };
}

async function readWindow(cur: Cursor, index: number, secondary: boolean): Promise<DeltaWindowInfo> {
  const offset = cur.pos;
  await cur.need(WINDOW_HEADER_MAX);
  const what = (field: string) => `window ${index} ${field}`;
  const indicator = cur.byte(what('indicator'));
  if (indicator & ~(WIN_SOURCE | WIN_TARGET | WIN_ADLER32)) {
    throw corrupt(`${what('indicator')} 0x${indicator.toString(16)} has reserved bits set`);
  }
  if ((indicator & WIN_SOURCE) && (indicator & WIN_TARGET)) {
    throw corrupt(`${what('indicator')} sets both VCD_SOURCE and VCD_TARGET`);
  }
  let sourceSegment: DeltaWindowInfo['sourceSegment'];
  if (indicator & (WIN_SOURCE | WIN_TARGET)) {
    const length = cur.varint(what('source segment length'), MAX_U32);
    const position = cur.varint(what('source segment position'), Number.MAX_SAFE_INTEGER);
    if (position + length > Number.MAX_SAFE_INTEGER) throw corrupt(`${what('source segment')} overflows`);
    sourceSegment = { position, length };
  }
  const deltaLength = cur.varint(what('delta encoding length'), MAX_U32);
  const encodingStart = cur.pos;
  const targetLength = cur.varint(what('target length'), MAX_U32);
  const deltaIndicator = cur.byte(what('delta indicator'));
  if (deltaIndicator & ~DELTA_INDICATOR_BITS) {
    throw corrupt(`${what('delta indicator')} 0x${deltaIndicator.toString(16)} has reserved bits set`);
  }
  if (deltaIndicator && !secondary) {
    throw corrupt(`${what('delta indicator')} marks compressed sections but the header declares no compressor`);
  }
  const dataLength = cur.varint(what('data section length'), MAX_U32);
  const instructionsLength = cur.varint(what('instructions section length'), MAX_U32);
  const addressesLength = cur.varint(what('addresses section length'), MAX_U32);
  let adler32: string | undefined;
  if (indicator & WIN_ADLER32) adler32 = cur.bytes(4, what('adler32')).toString('hex');

  const declared = cur.pos - encodingStart + dataLength + instructionsLength + addressesLength;
  if (declared !== deltaLength) {
    throw corrupt(`${what('delta encoding length')} is ${deltaLength} but its fields add up to ${declared}`);
  }
  cur.skipTo(encodingStart + deltaLength, what('sections'));
  return {
    index,
    offset,
    indicator,
    ...(sourceSegment && { sourceSegment }),
    targetLength,
    deltaIndicator,
    dataLength,
    instructionsLength,
    addressesLength,
    ...(adler32 !== undefined && { adler32 }),
  };
}

/** The header and window layout of a delta given as a file path or as bytes. */
export async function inspectDelta(input: string | Buffer): Promise<DeltaInfo> {
  const src = typeof input === 'string' ? await fileSource(input) : bufferSource(input);
  try {
    const cur = new Cursor(src);
    const header = await readFileHeader(cur);
    const secondary = (header.headerIndicator & HDR_SECONDARY) !== 0;
    const windows: DeltaWindowInfo[] = [];
    while (cur.pos < src.size) windows.push(await readWindow(cur, windows.length, secondary));
    return {
      size: src.size,
      headerIndicator: header.headerIndicator,
      secondaryCompressor: header.secondaryCompressor,
      ...(header.appHeader !== undefined && { appHeader: header.appHeader }),
      windows,
      targetSize: windows.reduce((sum, w) => sum + w.targetLength, 0),
      usesSource: windows.some((w) => (w.indicator & WIN_SOURCE) !== 0),
      checksums: windows.length > 0 && windows.every((w) => (w.indicator & WIN_ADLER32) !== 0),
    };
  } finally {
    await src.close();
  }
}
