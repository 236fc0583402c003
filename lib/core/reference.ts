/**
 * Deltaspace references: reading their metadata, creating them race-safely, and getting a
 * verified local copy through the ReferenceCache (downloaded once, reused across runs).
 */
import { DeltaGliderError, isDeltaGliderError } from '../errors';
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import type { CachedReference, ReferenceCache } from '../ports/reference-cache';
import type { StoragePort } from '../ports/storage';
import { METRIC } from './context';
import { HashingStream } from './hashing';
import { referenceKeyOf, s3Url } from './keys';
import { FIELD, readSha256, referenceMetadata } from './metadata';

export interface ReferenceInfo {
  key: string;
  sha256: string;
  size: number;
}

export interface CreateReferenceInput {
  bucket: string;
  deltaspace: string;
  localPath: string;
  sourceName: string;
  sha256: string;
  tool: string;
  createdAt: Date;
}

export class ReferenceStore {
  constructor(
    private readonly storage: StoragePort,
    private readonly cache: ReferenceCache,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** The deltaspace's reference, or null when it has none. Its dg-file-sha256 must be valid. */
  async head(bucket: string, deltaspace: string): Promise<ReferenceInfo | null> {
    const key = referenceKeyOf(deltaspace);
    const head = await this.storage.head(bucket, key);
    if (!head) return null;
    return { key, sha256: readSha256(head.metadata, FIELD.fileSha256, s3Url(bucket, key), true), size: head.size };
  }

  /**
   * Create `<ds>/reference.bin` from a local file. Returns false when another writer created
   * it first (only detectable where the store enforces If-None-Match).
   */
  async create(input: CreateReferenceInput): Promise<boolean> {
    const key = referenceKeyOf(input.deltaspace);
    const metadata = referenceMetadata({
      tool: input.tool,
      sourceName: input.sourceName,
      sha256: input.sha256,
      createdAt: input.createdAt,
    });
    try {
      await this.storage.put(input.bucket, key, { file: input.localPath }, {
        metadata,
        contentType: 'application/octet-stream',
        ifNoneMatch: this.storage.supportsConditionalPut,
      });
      return true;
    } catch (err) {
      if (isDeltaGliderError(err, 'ERR_DG_PRECONDITION_FAILED')) {
        this.logger.debug('reference created concurrently by another writer', { key });
        return false;
      }
      throw err;
    }
  }

  /**
   * A local copy of the reference whose SHA-256 is `sha256`: from the cache, else
   * downloaded into it. Bytes that hash differently are refused (ERR_DG_REFERENCE_MISMATCH,
   * naming both hashes). Call release() when done.
   */
  async fetch(bucket: string, key: string, sha256: string): Promise<CachedReference> {
    const cached = await this.cache.get(sha256);
    if (cached) {
      this.metrics.increment(METRIC.cacheHit);
      return cached;
    }
    this.metrics.increment(METRIC.cacheMiss);
    const url = s3Url(bucket, key);
    let got;
    try {
      got = await this.storage.get(bucket, key);
    } catch (err) {
      if (isDeltaGliderError(err, 'ERR_DG_NOT_FOUND')) {
        throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${url}: the reference this delta needs is missing`, { cause: err });
      }
      throw err;
    }
    // The reference's own metadata already tells a replaced reference: fail before downloading.
    const claimed = readSha256(got.head.metadata, FIELD.fileSha256, url);
    if (claimed !== undefined && claimed !== sha256) {
      got.body.destroy();
      throw referenceMismatch(url, sha256, claimed);
    }
    const hasher = new HashingStream();
    got.body.on('error', (err) => hasher.destroy(err));
    try {
      return await this.cache.put(sha256, got.body.pipe(hasher));
    } catch (err) {
      if (isDeltaGliderError(err, 'ERR_DG_REFERENCE_MISMATCH') && hasher.sha256 !== undefined) {
        throw referenceMismatch(url, sha256, hasher.sha256);
      }
      throw err;
    }
  }
}

function referenceMismatch(url: string, expected: string, actual: string): DeltaGliderError {
  return new DeltaGliderError(
    'ERR_DG_REFERENCE_MISMATCH',
    `${url}: reference has SHA-256 ${actual}, but the delta was made against ${expected}`,
  );
}
