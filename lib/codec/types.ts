/**
 * The public shape of the codec layer. Everything above lib/codec uses only these types and
 * the functions exported from lib/codec/index.ts; nothing else touches the native addon.
 */
import type { Transform } from 'node:stream';

/**
 * A reference is a file path (memory-mapped by the addon), bytes in memory, or a handle
 * from `openReference()` shared by many encodes/decodes (its index is built once).
 */
export type ReferenceInput = string | Buffer | ReferenceHandle;

export type SecondaryCompression =
  /** LZMA where it pays: sections that would not shrink are stored raw (default). */
  | 'auto'
  /** LZMA on every section of 10 bytes or more, as `xdelta3` does by default. */
  | 'lzma'
  /** Plain RFC 3284 sections, readable by any VCDIFF decoder. */
  | 'none';

export interface EncodeOptions {
  /** The reference (source) to encode against; null or omitted: no reference. */
  reference?: ReferenceInput | null;
  /** Target bytes per VCDIFF window (16 KiB .. 16 MiB, default 16 MiB: the largest `xdelta3 -d` reads, and the smallest deltas). */
  windowSize?: number;
  secondary?: SecondaryCompression;
  /** Write VCD_ADLER32 window checksums (default true). */
  checksum?: boolean;
  /** Application header, e.g. `target.zip//reference.bin/` (default: none). */
  appHeader?: string;
  /**
   * liblzma preset 0..9 for every piece of secondary compression. Default: DeltaGlider's own
   * fast LZMA2 encoder, except liblzma preset 1 for pieces under 64 KiB that a later window
   * continues.
   */
  lzmaPreset?: number;
  /** Output buffer per native call in bytes, like zlib's chunkSize (default 256 KiB, min 64). */
  chunkSize?: number;
}

export interface DecodeOptions {
  /** The reference the delta was made against; needed when the delta has source windows. */
  reference?: ReferenceInput | null;
  /** Verify VCD_ADLER32 window checksums (default true). */
  verifyChecksum?: boolean;
  /** When given, the stream fails with ERR_DG_SHA256_MISMATCH at its end if the target differs. */
  expectedSha256?: string;
  /** Output buffer per native call in bytes, like zlib's chunkSize (default 256 KiB, min 64). */
  chunkSize?: number;
}

/** What one encode or decode produced. */
export interface CodecResult {
  /** Lowercase hex SHA-256 of the target (the original file). */
  sha256: string;
  /** Target (original file) size in bytes. */
  size: number;
  /** Delta size in bytes. */
  deltaSize: number;
}

/**
 * A Transform stream: target bytes in, delta bytes out (EncodeStream) or delta bytes in,
 * target bytes out (DecodeStream). `result` is set once the stream has flushed
 * (after 'finish' on the writable side / before 'end' on the readable side).
 */
export interface CodecStream extends Transform {
  readonly result: CodecResult | undefined;
}

export interface DeltaWindowInfo {
  index: number;
  offset: number; // byte offset of the window in the delta
  indicator: number;
  sourceSegment?: { position: number; length: number };
  targetLength: number;
  deltaIndicator: number;
  dataLength: number;
  instructionsLength: number;
  addressesLength: number;
  adler32?: string; // 8 hex digits
}

export interface DeltaInfo {
  size: number;
  headerIndicator: number;
  secondaryCompressor: 'none' | 'lzma' | 'djw' | 'fgk' | `unknown(${number})`;
  appHeader?: string;
  windows: DeltaWindowInfo[];
  targetSize: number;
  usesSource: boolean;
  checksums: boolean;
}

/**
 * A reference opened once (file mapped, or Buffer held) for many encodes and decodes.
 * The encoder's match index is built on first use (or by `buildIndex()`) and kept, so a
 * service encoding many files against one reference indexes it once. Close it when done;
 * streams still using it keep it alive until they finish.
 */
export interface ReferenceHandle {
  /** Reference size in bytes. */
  readonly size: number;
  readonly closed: boolean;
  /** Build the encoder's match index now, off the JS thread (otherwise the first encode does). */
  buildIndex(): Promise<void>;
  close(): void;
}

export type EncodeFileOptions = Omit<EncodeOptions, 'reference'>;
export type DecodeFileOptions = Omit<DecodeOptions, 'reference'>;

/** SHA-256 and size of a file or stream stored as-is. */
export interface HashResult {
  sha256: string;
  size: number;
}

/** A pass-through Transform hashing what flows by; `digest` is set once it has flushed. */
export interface HashStream extends Transform {
  readonly digest: string | undefined;
  /** Bytes seen so far. */
  readonly size: number;
}
