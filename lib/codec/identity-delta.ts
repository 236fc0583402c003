/**
 * The VCDIFF delta of a file against itself ("target == source"), written without reading
 * the file: every window is one COPY of its whole source segment. This is the zero-diff
 * delta stored beside a new deltaspace's reference.bin; the native encoder would mmap and
 * index the whole file to find the same thing, which costs memory proportional to its size.
 *
 * Layout (RFC 3284; see docs/vcdiff-format.md 1.3-1.7): header D6 C3 C4 00 00 (no secondary
 * compression, no application header); then per window of up to 8 MiB at offset o, length n:
 *   Win_Indicator 01 (VCD_SOURCE; no VCD_ADLER32, which would need the bytes), source
 *   segment [o, o+n), delta length, target length n, Delta_Indicator 00, section lengths
 *   (data 0, instructions 1 + |varint n|, addresses 1), instruction 19 (COPY, explicit
 *   size, mode 0 = SELF) + varint n, address varint 0.
 * An empty file is one window of 0 bytes with no source segment.
 */
import fs from 'node:fs';

import { DeltaGliderError } from '../errors';

/** DG_DEFAULT_WINDOW_SIZE in native/include/dg/limits.h: what the native encoder uses. */
export const IDENTITY_WINDOW_SIZE = 8 * 1024 * 1024;

const FILE_HEADER = Buffer.from([0xd6, 0xc3, 0xc4, 0x00, 0x00]);
const VCD_SOURCE = 0x01;
/** Default code table index 19: COPY, size follows as a varint, address mode 0 (SELF). */
const COPY_EXPLICIT_SELF = 19;
/** Windows are tiny (about 20 bytes): gather this much before each write. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Write the delta of a `size`-byte file against itself to `deltaPath` (created or
 * truncated). Returns the delta's size in bytes.
 */
export async function writeIdentityDelta(size: number, deltaPath: string): Promise<number> {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `writeIdentityDelta: size must be a non-negative integer, got ${size}`);
  }
  let file;
  try {
    file = await fs.promises.open(deltaPath, 'w');
  } catch (err) {
    throw ioError(deltaPath, err);
  }
  let written = 0;
  try {
    let pending: Buffer[] = [FILE_HEADER];
    let pendingBytes = FILE_HEADER.length;
    const flush = async (): Promise<void> => {
      const chunk = Buffer.concat(pending, pendingBytes);
      await file.write(chunk, 0, chunk.length);
      written += chunk.length;
      pending = [];
      pendingBytes = 0;
    };
    for (const window of identityWindows(size)) {
      pending.push(window);
      pendingBytes += window.length;
      if (pendingBytes >= FLUSH_BYTES) await flush();
    }
    await flush();
  } catch (err) {
    await file.close().catch(() => undefined);
    throw ioError(deltaPath, err);
  }
  try {
    await file.close();
  } catch (err) {
    throw ioError(deltaPath, err);
  }
  return written;
}

/** The encoded windows of the identity delta of a `size`-byte file, in order. */
function* identityWindows(size: number): Generator<Buffer> {
  if (size === 0) {
    yield emptyWindow();
    return;
  }
  for (let offset = 0; offset < size; offset += IDENTITY_WINDOW_SIZE) {
    yield copyWindow(offset, Math.min(IDENTITY_WINDOW_SIZE, size - offset));
  }
}

/** A window producing bytes [offset, offset+length) of the source with one COPY. */
function copyWindow(offset: number, length: number): Buffer {
  const instructions = [COPY_EXPLICIT_SELF, ...varint(length)];
  const addresses = varint(0);
  const body = [
    ...varint(length), // target window length
    0x00, // Delta_Indicator: no section is compressed
    ...varint(0), // data section length
    ...varint(instructions.length),
    ...varint(addresses.length),
    ...instructions,
    ...addresses,
  ];
  return Buffer.from([VCD_SOURCE, ...varint(length), ...varint(offset), ...varint(body.length), ...body]);
}

/** A window with no source segment and no target bytes (the delta of an empty file). */
function emptyWindow(): Buffer {
  const body = [...varint(0), 0x00, ...varint(0), ...varint(0), ...varint(0)];
  return Buffer.from([0x00, ...varint(body.length), ...body]);
}

/**
 * A VCDIFF integer: base 128, most significant digit first, bit 7 set on all bytes but the
 * last. Arithmetic rather than bit operations, since source offsets may exceed 2^32.
 */
export function varint(value: number): number[] {
  const digits = [value % 128];
  let rest = Math.floor(value / 128);
  while (rest > 0) {
    digits.unshift(0x80 | rest % 128);
    rest = Math.floor(rest / 128);
  }
  return digits;
}

function ioError(path: string, err: unknown): DeltaGliderError {
  if (err instanceof DeltaGliderError) return err;
  return new DeltaGliderError('ERR_DG_IO', `${path}: ${(err as Error).message}`, { cause: err });
}
