/**
 * The delta policy: which files are worth storing as deltas (archives, packages, binaries —
 * versioned artifacts whose builds share most bytes), and when a delta is too big to keep.
 * A file is a candidate by its extension, or, failing that, by its first bytes (binaries
 * often have no extension at all).
 */
import { open } from 'node:fs/promises';

import { DeltaGliderError } from '../errors';

export const DEFAULT_DELTA_EXTENSIONS: readonly string[] = [
  '.zip', '.jar', '.war', '.ear', '.tar', '.tgz', '.tar.gz', '.gz', '.tar.bz2', '.bz2', '.tar.xz', '.xz',
  '.7z', '.rar', '.dmg', '.iso', '.pkg', '.deb', '.rpm', '.apk', '.whl', '.nupkg', '.aab', '.ipa', '.msi',
  '.exe', '.dll', '.so', '.node', '.wasm', '.bin', '.img',
];

export const DEFAULT_MAX_RATIO = 0.5;

/**
 * Parse a `DG_DELTA_EXTENSIONS` setting: a comma list replaces the defaults; a leading '+'
 * adds to them (`+.pak,.dat`). Entries are normalised to lowercase with a leading dot.
 */
export function parseDeltaExtensions(setting: string | undefined): string[] {
  if (setting === undefined || setting.trim() === '') return [...DEFAULT_DELTA_EXTENSIONS];
  const trimmed = setting.trim();
  const adding = trimmed.startsWith('+');
  const entries = (adding ? trimmed.slice(1) : trimmed)
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '')
    .map((e) => (e.startsWith('.') ? e : `.${e}`));
  return [...new Set(adding ? [...DEFAULT_DELTA_EXTENSIONS, ...entries] : entries)];
}

/** Parse a max ratio (option or `DG_MAX_RATIO`): a number in (0, 1]. */
export function parseMaxRatio(value: string | number | undefined, fallback = DEFAULT_MAX_RATIO): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `max ratio must be a number in (0, 1], got "${value}"`);
  }
  return n;
}

/** Bytes needed to recognise every format below (tar's magic is at offset 257). */
export const SNIFF_BYTES = 512;

interface Magic {
  offset: number;
  bytes: number[];
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

const MAGICS: readonly Magic[] = [
  { offset: 0, bytes: [0x7f, 0x45, 0x4c, 0x46] }, // ELF
  { offset: 0, bytes: ascii('MZ') }, // PE / DOS executables, DLLs
  { offset: 0, bytes: [0xfe, 0xed, 0xfa, 0xce] }, // Mach-O 32, big-endian
  { offset: 0, bytes: [0xfe, 0xed, 0xfa, 0xcf] }, // Mach-O 64, big-endian
  { offset: 0, bytes: [0xce, 0xfa, 0xed, 0xfe] }, // Mach-O 32, little-endian
  { offset: 0, bytes: [0xcf, 0xfa, 0xed, 0xfe] }, // Mach-O 64, little-endian
  { offset: 0, bytes: [0xca, 0xfe, 0xba, 0xbe] }, // Mach-O fat (universal)
  { offset: 0, bytes: [0xca, 0xfe, 0xba, 0xbf] }, // Mach-O fat, 64-bit offsets
  { offset: 0, bytes: [0x50, 0x4b, 0x03, 0x04] }, // zip local file header
  { offset: 0, bytes: [0x50, 0x4b, 0x05, 0x06] }, // empty zip (end of central directory only)
  { offset: 0, bytes: [0x1f, 0x8b] }, // gzip
  { offset: 0, bytes: ascii('BZh') }, // bzip2
  { offset: 0, bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] }, // xz
  { offset: 0, bytes: [0x28, 0xb5, 0x2f, 0xfd] }, // zstd
  { offset: 257, bytes: ascii('ustar') }, // tar (POSIX and GNU)
];

/** True when the first bytes of a file are those of a known binary or archive format. */
export function hasBinaryMagic(head: Uint8Array): boolean {
  return MAGICS.some(
    ({ offset, bytes }) => head.length >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b),
  );
}

export interface DeltaPolicyOptions {
  extensions?: readonly string[];
  maxRatio?: number;
}

export class DeltaPolicy {
  readonly extensions: readonly string[];
  readonly maxRatio: number;

  constructor(options: DeltaPolicyOptions = {}) {
    this.extensions = (options.extensions ?? DEFAULT_DELTA_EXTENSIONS).map((e) => e.toLowerCase());
    this.maxRatio = parseMaxRatio(options.maxRatio);
  }

  /** Candidate by file name alone (case-insensitive extension match). */
  isCandidateName(fileName: string): boolean {
    const lower = fileName.toLowerCase();
    return this.extensions.some((ext) => lower.endsWith(ext) && lower.length > ext.length);
  }

  /** Candidate by name, else by the first bytes of the local file. */
  async isCandidate(fileName: string, localPath: string): Promise<boolean> {
    if (this.isCandidateName(fileName)) return true;
    return hasBinaryMagic(await readHead(localPath, SNIFF_BYTES));
  }

  /** Keep a delta only if it is at most maxRatio of the original. */
  acceptsDelta(deltaSize: number, originalSize: number, maxRatio = this.maxRatio): boolean {
    return deltaSize <= maxRatio * originalSize;
  }
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
