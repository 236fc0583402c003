/**
 * The DeltaService contract: what the CLI and the client library use. Domain types only,
 * no AWS types. Keys here are LOGICAL keys (what users see: `app/1.4/app.zip`), unless a
 * field says "stored" (what is in the bucket: `app/1.4/app.zip.delta`).
 */
import type { Readable } from 'node:stream';

/** How an object is stored. */
export type StorageKind = 'delta' | 'direct';

/** One object as users see it. */
export interface LogicalObject {
  bucket: string;
  /** Logical key (`.delta` suffix removed). */
  key: string;
  /** Key actually stored (`<key>.delta` for deltas). */
  storedKey: string;
  kind: StorageKind;
  /** Original size in bytes (what a download produces). */
  size: number;
  /** Bytes stored for this object (the delta's size for deltas). */
  storedSize: number;
  /** SHA-256 of the original bytes, when known from metadata (heads; not plain listings). */
  sha256?: string;
  lastModified?: Date;
  etag?: string;
  contentType?: string;
  /** Stored metadata (without x-amz-meta-), including the `dg-*` keys. */
  metadata?: Record<string, string>;
  /** For deltas: the reference key this delta needs. */
  referenceKey?: string;
  /** For deltas whose metadata was read: the kind of delta body (dg-delta-format; none recorded: vcdiff). */
  deltaFormat?: string;
  /**
   * Listings only: false when `size` is merely the stored size, because metadata was not
   * fetched (`fetchMetadata: false`) or could not be read.
   */
  originalSizeKnown?: boolean;
}

export interface ServicePutOptions {
  /** Keep a delta only if delta size <= maxRatio * original size (default from config, 0.5). */
  maxRatio?: number;
  /** Store directly, never as a delta. */
  noDelta?: boolean;
  /** 'vcdiff': only deltas the Python DeltaGlider and xdelta3 read; 'auto': DeltaGlider's choice (default: the service's). */
  deltaFormat?: 'auto' | 'vcdiff';
  contentType?: string;
  /** Extra user metadata stored beside the dg-* keys. */
  metadata?: Record<string, string>;
  /** Bytes read / sent so far, for progress bars. */
  onProgress?: (bytes: number, total?: number) => void;
}

export interface ServicePutResult {
  bucket: string;
  key: string;
  storedKey: string;
  /**
   * 'reference': first delta candidate of its deltaspace — stored as reference.bin plus a
   * zero-diff delta (what the Python tool does). 'delta': stored as a delta against the
   * existing reference. 'direct': stored as is.
   */
  storedAs: 'reference' | 'delta' | 'direct';
  originalSize: number;
  storedSize: number;
  sha256: string;
  /** storedSize / originalSize (0 for empty files). */
  ratio: number;
  referenceKey?: string;
  /**
   * Why it was stored directly: 'not-a-candidate' | 'ratio' | 'no-delta' | 'empty' |
   * 'bad-reference' (the deltaspace's reference has unusable metadata).
   */
  directReason?: string;
}

export interface ServiceGetOptions {
  onProgress?: (bytes: number, total?: number) => void;
}

export interface ServiceGetResult {
  bucket: string;
  key: string;
  kind: StorageKind;
  sha256: string;
  size: number;
}

export interface ServiceListOptions {
  prefix?: string;
  /** '/' to fold sub-"directories" into commonPrefixes. */
  delimiter?: string;
  continuationToken?: string;
  maxKeys?: number;
  /**
   * HEAD each delta for its original size and SHA-256 (default true). Plain listings carry
   * no metadata; with false, deltas show their stored size and `originalSizeKnown: false`.
   */
  fetchMetadata?: boolean;
}

export interface ServiceListPage {
  objects: LogicalObject[];
  commonPrefixes: string[];
  nextContinuationToken?: string;
}

export interface ServiceDeleteResult {
  /** Stored keys removed (the object, and reference.bin if nothing needs it any more). */
  deletedKeys: string[];
}

export interface ServiceVerifyOptions {
  /**
   * Download and hash the stored reference too, whatever this machine's cache holds
   * (default: its metadata and size are checked, and its bytes when the cache lacks it).
   */
  deep?: boolean;
}

export interface VerifyResult {
  bucket: string;
  key: string;
  kind: StorageKind;
  valid: boolean;
  expectedSha256: string;
  actualSha256: string;
  size: number;
  storedSize: number;
  /** Why the object does not rebuild (a corrupt delta, a missing or wrong reference, other bytes). */
  error?: { code: string; message: string };
}

export interface DeltaServiceApi {
  /** Upload a local file (or a stream, spooled to a temp file first) to a logical key. */
  put(source: string | Readable, bucket: string, key: string, options?: ServicePutOptions): Promise<ServicePutResult>;
  /** Download a logical key to a local file: temp file beside it, renamed after SHA-256 matches. */
  get(bucket: string, key: string, destinationPath: string, options?: ServiceGetOptions): Promise<ServiceGetResult>;
  /**
   * Open a logical key as a stream of the original bytes. For deltas the SHA-256 is checked
   * at the end: the stream errors with ERR_DG_SHA256_MISMATCH instead of ending cleanly.
   */
  openRead(bucket: string, key: string): Promise<{ body: Readable; object: LogicalObject }>;
  /** HEAD of a logical key (finds `<key>` or `<key>.delta`); null when neither exists. */
  head(bucket: string, key: string): Promise<LogicalObject | null>;
  /** One page of logical objects; reference.bin and .deltaglider/ are hidden. */
  list(bucket: string, options?: ServiceListOptions): Promise<ServiceListPage>;
  /** Delete a logical key; removes reference.bin when no delta in the deltaspace needs it. */
  delete(bucket: string, key: string): Promise<ServiceDeleteResult>;
  /** Delete everything under a prefix (including references and internal objects under it). */
  deleteRecursive(bucket: string, prefix: string, options?: { dryRun?: boolean }): Promise<ServiceDeleteResult>;
  /** Rebuild a logical key and check its SHA-256 against the stored one, and the reference it needs in the bucket. */
  verify(bucket: string, key: string, options?: ServiceVerifyOptions): Promise<VerifyResult>;
  /**
   * Delete the references under `prefix` that no delta needs and that are older than
   * `minAgeMs` (default an hour); `keep` spares keys.
   */
  deleteOrphanReferences(
    bucket: string,
    prefix: string,
    options?: { dryRun?: boolean; minAgeMs?: number; keep?: (key: string) => boolean },
  ): Promise<ServiceDeleteResult>;
  /** Let go of references kept open between uploads (they also close themselves when idle). */
  close?(): Promise<void>;
}
