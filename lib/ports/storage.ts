/**
 * StoragePort: what DeltaGlider needs from an object store. Implemented by S3Storage
 * (any S3-compatible service) and FsStorage (a local directory). Keys are bucket-relative;
 * metadata names are given WITHOUT the `x-amz-meta-` prefix and are lowercase.
 *
 * Failures are DeltaGliderError with codes: ERR_DG_NOT_FOUND (no such key),
 * ERR_DG_BUCKET_NOT_FOUND, ERR_DG_PRECONDITION_FAILED (conditional put lost),
 * ERR_DG_ACCESS_DENIED, ERR_DG_NOT_IMPLEMENTED (store lacks the feature), ERR_DG_STORAGE,
 * ERR_DG_SOURCE_CHANGED (a put's body did not hash to its expectedSha256).
 */
import type { Readable } from 'node:stream';

import { isDeltaGliderError } from '../errors';

export type Metadata = Record<string, string>;

export interface ObjectHead {
  key: string;
  size: number;
  lastModified?: Date;
  etag?: string;
  contentType?: string;
  metadata: Metadata;
}

export interface ObjectSummary {
  key: string;
  size: number;
  lastModified?: Date;
  etag?: string;
}

export interface ListOptions {
  prefix?: string;
  /** With '/', keys below the next '/' are folded into commonPrefixes. */
  delimiter?: string;
  continuationToken?: string;
  startAfter?: string;
  /** Page size (at most 1000). */
  maxKeys?: number;
}

export interface ListPage {
  objects: ObjectSummary[];
  commonPrefixes: string[];
  /** Present when more pages follow. */
  nextContinuationToken?: string;
}

export type PutBody =
  | { file: string }
  | { stream: NodeJS.ReadableStream | Readable; size?: number }
  | { buffer: Buffer };

export interface PutOptions {
  metadata?: Metadata;
  contentType?: string;
  /** Create only if the key does not exist yet (If-None-Match: *). */
  ifNoneMatch?: boolean;
  /**
   * The body must hash to this SHA-256 (lowercase hex). The bytes are hashed as they are
   * sent, and when they differ (a file changed after it was hashed) the put fails with
   * ERR_DG_SOURCE_CHANGED before the object becomes visible: nothing is stored.
   */
  expectedSha256?: string;
  /** Called with bytes sent so far (for progress bars). */
  onProgress?: (loadedBytes: number) => void;
}

export interface PutResult {
  etag?: string;
}

export interface GetResult {
  body: Readable;
  head: ObjectHead;
}

export interface CopyOptions {
  /** Replace the metadata on the copy (default: keep the source's). */
  metadata?: Metadata;
  contentType?: string;
}

export interface DeleteManyResult {
  deleted: string[];
  errors: { key: string; code: string; message: string }[];
}

export interface BucketInfo {
  name: string;
  creationDate?: Date;
}

export interface StoragePort {
  /** Human-readable description, e.g. `s3 (https://host)` or `file:///path`. */
  readonly description: string;

  head(bucket: string, key: string): Promise<ObjectHead | null>;
  list(bucket: string, options?: ListOptions): Promise<ListPage>;
  get(bucket: string, key: string): Promise<GetResult>;
  put(bucket: string, key: string, body: PutBody, options?: PutOptions): Promise<PutResult>;
  delete(bucket: string, key: string): Promise<void>;
  deleteMany(bucket: string, keys: string[]): Promise<DeleteManyResult>;
  copy(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, options?: CopyOptions): Promise<void>;

  listBuckets(): Promise<BucketInfo[]>;
  createBucket(bucket: string): Promise<void>;
  deleteBucket(bucket: string): Promise<void>;
  bucketExists(bucket: string): Promise<boolean>;

  /** A presigned GET URL (ERR_DG_NOT_IMPLEMENTED where the store has none, e.g. FsStorage). */
  presignGet(bucket: string, key: string, expiresInSeconds: number, options?: { fileName?: string }): Promise<string>;
}

/** Delete a key; one that is already gone is not an error (a racing deleter got there first). */
export async function deleteIfPresent(storage: StoragePort, bucket: string, key: string): Promise<void> {
  try {
    await storage.delete(bucket, key);
  } catch (err) {
    if (!isDeltaGliderError(err, 'ERR_DG_NOT_FOUND')) throw err;
  }
}

/** Iterate every object under a prefix, page by page (bounded memory). */
export async function* listAll(
  storage: StoragePort,
  bucket: string,
  options: Omit<ListOptions, 'continuationToken' | 'delimiter'> = {},
): AsyncGenerator<ObjectSummary> {
  let token: string | undefined;
  do {
    const page = await storage.list(bucket, { ...options, continuationToken: token });
    yield* page.objects;
    token = page.nextContinuationToken;
  } while (token);
}
