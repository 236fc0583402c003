/**
 * The native addon's surface, typed, and its loader. Only lib/codec imports this file.
 *
 * The addon is found by node-gyp-build: a local build in build/Release first (skipped when
 * PREBUILDS_ONLY=1), then prebuilds/<platform>-<arch>/. When neither loads, one error says
 * what was tried and how to fix it.
 */
import fs from 'node:fs';
import path from 'node:path';

import { DeltaGliderError } from '../errors';

export type NativeWriteCallback = (
  err: Error | null,
  consumed: number,
  produced: number,
  done: boolean,
) => void;

/** A reference file (memory-mapped) or Buffer (held), plus its lazily built match index. */
export interface NativeReference {
  readonly size: number;
  readonly indexed: boolean;
  readonly closed: boolean;
  /** Builds the encoder index on the thread pool (once; concurrent callers share it). */
  buildIndex(callback: (err: Error | null) => void): void;
  /** Releases the bytes and index once no encoder/decoder uses them. Idempotent. */
  close(): void;
}

/** Decoder or Encoder: one feed call in flight at a time, run on the thread pool. */
export interface NativeCodec {
  write(
    input: Uint8Array,
    inOffset: number,
    inLength: number,
    output: Uint8Array,
    outOffset: number,
    outLength: number,
    finish: boolean,
    callback: NativeWriteCallback,
  ): void;
  /** Frees the codec; deferred until an in-flight write returns. Idempotent. */
  close(): void;
  /** Hex SHA-256 of the target, once a write reported done. */
  sha256(): string;
  readonly totalIn: number;
  readonly totalOut: number;
  readonly done: boolean;
  readonly closed: boolean;
}

export interface NativeDecoderOptions {
  verifyChecksum?: boolean;
}

export interface NativeEncoderOptions {
  windowSize?: number;
  secondary?: 'none' | 'lzma' | 'auto';
  lzmaPreset?: number;
  checksum?: boolean;
  appHeader?: string | Uint8Array;
}

export interface NativeHasher {
  /** Synchronous for small chunks; with a callback, hashed on the thread pool. */
  update(data: Uint8Array, callback?: (err: Error | null) => void): void;
  /** Lowercase hex; the hasher accepts no more data afterwards. */
  digest(): string;
  readonly size: number;
  readonly impl: string;
}

export interface NativeBinding {
  Reference: new (source: string | Uint8Array) => NativeReference;
  Decoder: new (reference: NativeReference | null, options?: NativeDecoderOptions) => NativeCodec;
  Encoder: new (reference: NativeReference | null, options?: NativeEncoderOptions) => NativeCodec;
  Hasher: new () => NativeHasher;
  /** "sha-ni" or "portable". */
  sha256Impl(): string;
}

let binding: NativeBinding | undefined;

/** The addon, loaded on first use (so code paths without a codec never need it). */
export function loadBinding(): NativeBinding {
  binding ??= loadBindingFrom(packageRoot());
  return binding;
}

/** Loads the addon of the package at `root` (exported for the loader's tests). */
export function loadBindingFrom(root: string): NativeBinding {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
    return nodeGypBuild(root) as NativeBinding;
  } catch (err) {
    throw new DeltaGliderError('ERR_DG_NATIVE_LOAD', loadFailureMessage(root, err), { cause: err });
  }
}

function loadFailureMessage(root: string, err: unknown): string {
  const target = `${process.platform}-${process.arch}`;
  const tried = [
    process.env.PREBUILDS_ONLY
      ? `${path.join(root, 'build', 'Release')} (skipped: PREBUILDS_ONLY is set)`
      : `${path.join(root, 'build', 'Release')} (a local build)`,
    `${path.join(root, 'prebuilds', target)} (prebuilt binaries shipped with the package)`,
  ];
  return [
    `DeltaGlider's native codec (deltaglider.node) could not be loaded for ${target}, ` +
      `Node ${process.versions.node} (N-API ${process.versions.napi}).`,
    `Tried: ${tried.join('; ')}.`,
    `Cause: ${String((err as Error | undefined)?.message ?? err).split('\n')[0]}`,
    'Fix: run `npm rebuild deltaglider` to build it from source. That needs python3, make, ' +
      'g++ and the liblzma headers (Debian/Ubuntu: apt-get install python3 make g++ liblzma-dev; ' +
      'Alpine: apk add python3 make g++ xz-dev).',
  ].join('\n');
}

/** The folder holding binding.gyp: two levels up from lib/codec, three from dist/lib/codec. */
function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(__dirname, '..', '..');
    dir = parent;
  }
}
