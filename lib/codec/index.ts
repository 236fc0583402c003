/**
 * The codec layer: the only door to the native addon. Streams, file helpers, hashing and
 * shared references; types in ./types. (writeIdentityDelta is pure TypeScript.)
 */
export { createEncodeStream } from './encode-stream';
export { createDecodeStream } from './decode-stream';
export { encodeFile, decodeFile } from './files';
export { hashFile, createHashStream, sha256Impl } from './hash';
export { writeIdentityDelta } from './identity-delta';
export { openReference } from './reference';
export { inspectDelta } from './inspect';
export type {
  CodecResult,
  CodecStream,
  DecodeFileOptions,
  DecodeOptions,
  DeltaInfo,
  DeltaWindowInfo,
  EncodeFileOptions,
  EncodeOptions,
  HashResult,
  HashStream,
  ReferenceHandle,
  ReferenceInput,
  SecondaryCompression,
} from './types';
