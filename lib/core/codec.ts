/**
 * The part of lib/codec the core uses. Loaded lazily on first use so that operations that
 * need no codec (listing, deleting, downloading direct objects) work even where the native
 * addon cannot be loaded. Tests and embedders may pass their own implementation.
 */
import type { CodecResult, CodecStream, DecodeOptions, EncodeOptions, ReferenceHandle, ReferenceInput } from '../codec/types';

export interface CoreCodec {
  /** Hash the target and write its delta against `reference` in one pass. */
  encodeFile(
    reference: ReferenceInput,
    targetPath: string,
    deltaPath: string,
    options?: Omit<EncodeOptions, 'reference'>,
  ): Promise<CodecResult>;
  hashFile(path: string): Promise<{ sha256: string; size: number }>;
  /**
   * Write the delta of a `size`-byte file against itself (the zero-diff delta beside a new
   * reference) without reading the file; returns the delta's size.
   */
  writeIdentityDelta(size: number, deltaPath: string): Promise<number>;
  createDecodeStream(options: DecodeOptions): CodecStream;
  /** Open a reference once for many encodes (its index is built once); optional. */
  openReference?(path: string): ReferenceHandle;
}

let loaded: CoreCodec | undefined;

export function defaultCodec(): CoreCodec {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('../codec') as CoreCodec;
  return loaded;
}

/** A codec that loads the real one on first call. */
export const lazyCodec: CoreCodec = {
  encodeFile: (...args) => defaultCodec().encodeFile(...args),
  hashFile: (path) => defaultCodec().hashFile(path),
  writeIdentityDelta: (size, deltaPath) => defaultCodec().writeIdentityDelta(size, deltaPath),
  createDecodeStream: (options) => defaultCodec().createDecodeStream(options),
  openReference: (path) => defaultCodec().openReference!(path),
};
