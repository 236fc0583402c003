/**
 * Deltaspace references: choosing the one to encode against, creating new ones, getting a
 * verified local copy through the ReferenceCache, and retiring them when nothing needs them.
 *
 * A reference key is written exactly once (keys.ts: `<ds>/.deltaglider/refs/<sha>-<nonce>/
 * reference.bin`), so whatever a delta names stays what it was encoded against; racing first
 * uploads each make their own and both are right. Nothing here depends on the store
 * honouring conditional writes.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { DeltaGliderError, isDeltaGliderError } from '../errors';
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import type { CachedReference, ReferenceCache } from '../ports/reference-cache';
import { deleteIfPresent, listAll, type ObjectSummary, type StoragePort } from '../ports/storage';
import { METRIC } from './context';
import { HashingStream } from './hashing';
import {
  deletingKeyOf, deletingPrefixOf, immutableReferenceKey, parseReferenceKey, referenceKeyOf, referencesPrefixOf, s3Url,
} from './keys';
import { FIELD, readField, readSha256, referenceMetadata } from './metadata';

export interface ReferenceInfo {
  key: string;
  sha256: string;
  size: number;
}

/** The reference to encode against, and whether the Python DeltaGlider writes this deltaspace. */
export interface CurrentReference extends ReferenceInfo {
  /** Its `<ds>/reference.bin` says `dg-tool: deltaglider/…` (the Python tool's name for itself). */
  pythonDeltaspace: boolean;
}

/** How the Python DeltaGlider signs what it writes (ours: `deltaglider-node/…`). */
const PYTHON_TOOL = /^deltaglider\//;

export interface CreateReferenceInput {
  bucket: string;
  deltaspace: string;
  localPath: string;
  sourceName: string;
  /** SHA-256 of the file, hashed before the upload; the bytes sent must hash the same. */
  sha256: string;
  size: number;
  tool: string;
  createdAt: Date;
}

/** GETs of a reference that ended short or hashed wrong are tried this many times. */
const FETCH_ATTEMPTS = 3;

export class ReferenceStore {
  /** References whose bytes did not match their key: never chosen again by this process. */
  private readonly unusable = new Set<string>();

  constructor(
    private readonly storage: StoragePort,
    private readonly cache: ReferenceCache,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /**
   * The reference new deltas of the deltaspace are encoded against: the newest write-once
   * reference, else the legacy `<ds>/reference.bin` (buckets written by the Python tool or
   * earlier versions), else null. A legacy reference must carry a valid dg-file-sha256.
   */
  async current(bucket: string, deltaspace: string): Promise<CurrentReference | null> {
    const [listed, legacy] = await Promise.all([this.listImmutable(bucket, deltaspace), this.headLegacy(bucket, deltaspace)]);
    const pythonDeltaspace = legacy !== null && PYTHON_TOOL.test(legacy.tool ?? '');
    const usable = listed.filter((r) => !this.unusable.has(`${bucket}/${r.key}`));
    if (usable.length > 0) {
      const newest = usable.reduce((a, b) => (compareAge(a, b) >= 0 ? a : b));
      return { key: newest.key, sha256: parseReferenceKey(newest.key)!.sha256!, size: newest.size, pythonDeltaspace };
    }
    return legacy && { key: legacy.key, sha256: legacy.sha256, size: legacy.size, pythonDeltaspace };
  }

  /** Every reference object directly owned by the deltaspace (write-once, parked and legacy). */
  async all(bucket: string, deltaspace: string): Promise<ObjectSummary[]> {
    const found: ObjectSummary[] = [];
    for (const prefix of [referencesPrefixOf(deltaspace), deletingPrefixOf(deltaspace)]) {
      for await (const o of listAll(this.storage, bucket, { prefix })) if (parseReferenceKey(o.key)) found.push(o);
    }
    const legacyKey = referenceKeyOf(deltaspace);
    const legacy = await this.storage.head(bucket, legacyKey);
    if (legacy) found.push({ key: legacyKey, size: legacy.size, lastModified: legacy.lastModified });
    return found;
  }

  /**
   * Upload a local file as a new reference under a key of its own. The store hashes the
   * bytes as it sends them: a file that changed since it was hashed fails with
   * ERR_DG_SOURCE_CHANGED and nothing is stored.
   */
  async create(input: CreateReferenceInput): Promise<ReferenceInfo> {
    const key = immutableReferenceKey(input.deltaspace, input.sha256, randomBytes(6).toString('hex'));
    await this.storage.put(input.bucket, key, { file: input.localPath }, {
      metadata: referenceMetadata({ tool: input.tool, sourceName: input.sourceName, sha256: input.sha256, createdAt: input.createdAt }),
      contentType: 'application/octet-stream',
      expectedSha256: input.sha256,
    });
    return { key, sha256: input.sha256, size: input.size };
  }

  /** True while the reference object is in the bucket (checked after writing a delta that needs it). */
  async exists(bucket: string, reference: ReferenceInfo): Promise<boolean> {
    return (await this.storage.head(bucket, reference.key)) !== null;
  }

  /** Do not choose this reference again: its bytes are not what its key or metadata promise. */
  markUnusable(bucket: string, key: string): void {
    this.unusable.add(`${bucket}/${key}`);
  }

  /**
   * A local copy of the reference whose SHA-256 is `sha256`: from the cache, else
   * downloaded into it (from `key`, or from where a delete in progress parked it). Bytes
   * that hash differently are refused with ERR_DG_REFERENCE_MISMATCH; a transfer that ends
   * short or arrives damaged is tried again first, so that error means the STORED bytes are
   * wrong. Call release() when done.
   */
  async fetch(bucket: string, key: string, sha256: string): Promise<CachedReference> {
    const cached = await this.cache.get(sha256);
    if (cached) {
      this.metrics.increment(METRIC.cacheHit);
      return cached;
    }
    this.metrics.increment(METRIC.cacheMiss);
    const source = await this.locate(bucket, key, sha256);
    let lastError: unknown;
    for (let attempt = 1; attempt <= FETCH_ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(100 * 2 ** (attempt - 2));
      try {
        return await this.download(bucket, source, sha256);
      } catch (err) {
        if (!isTransferProblem(err)) throw err;
        lastError = err;
        this.logger.info('reference download failed; trying again', { key: s3Url(bucket, source), attempt, error: String(err) });
      }
    }
    throw storedReferenceProblem(s3Url(bucket, source), lastError);
  }

  /**
   * Delete a reference unless a delta that needs it appears while we do. The reference is
   * first parked (copied under `.deltaglider/deleting/`, where readers look when it is
   * gone), then deleted, then the deltaspace is listed again: a delta written meanwhile by
   * an upload that had already checked its reference is still there, and gets its
   * reference back. An upload checking after our delete sees it gone and encodes again.
   * Returns true when the reference was deleted.
   */
  async retire(bucket: string, reference: ReferenceInfo, stillNeeded: () => Promise<boolean>): Promise<boolean> {
    const deltaspace = parseReferenceKey(reference.key)?.deltaspace ?? '';
    const parked = deletingKeyOf(deltaspace, reference.sha256, randomBytes(6).toString('hex'));
    try {
      await this.storage.copy(bucket, reference.key, bucket, parked);
    } catch (err) {
      if (isDeltaGliderError(err, 'ERR_DG_NOT_FOUND')) return false; // someone else retired it
      throw err;
    }
    await deleteIfPresent(this.storage, bucket, reference.key);
    if (await stillNeeded()) {
      this.logger.info('a delta appeared while deleting its reference; keeping the reference', { key: s3Url(bucket, reference.key) });
      await this.storage.copy(bucket, parked, bucket, reference.key);
      await deleteIfPresent(this.storage, bucket, parked);
      return false;
    }
    await deleteIfPresent(this.storage, bucket, parked);
    return true;
  }

  /** Delete a parked copy left by an interrupted retire (same care: only when nothing needs it). */
  async dropParked(bucket: string, key: string, stillNeeded: () => Promise<boolean>): Promise<boolean> {
    if (await stillNeeded()) return false;
    await deleteIfPresent(this.storage, bucket, key);
    return true;
  }

  // ---- internals ----

  private async listImmutable(bucket: string, deltaspace: string): Promise<ObjectSummary[]> {
    const found: ObjectSummary[] = [];
    for await (const o of listAll(this.storage, bucket, { prefix: referencesPrefixOf(deltaspace) })) {
      if (parseReferenceKey(o.key)?.kind === 'immutable') found.push(o);
    }
    return found;
  }

  private async headLegacy(bucket: string, deltaspace: string): Promise<(ReferenceInfo & { tool?: string }) | null> {
    const key = referenceKeyOf(deltaspace);
    const head = await this.storage.head(bucket, key);
    if (!head) return null;
    const sha256 = readSha256(head.metadata, FIELD.fileSha256, s3Url(bucket, key), true);
    return { key, sha256, size: head.size, tool: readField(head.metadata, FIELD.tool) };
  }

  /** The key to download: the reference itself, or a parked copy of the same bytes. */
  private async locate(bucket: string, key: string, sha256: string): Promise<string> {
    if (await this.storage.head(bucket, key)) return key;
    const deltaspace = parseReferenceKey(key)?.deltaspace ?? '';
    for await (const o of listAll(this.storage, bucket, { prefix: `${deletingPrefixOf(deltaspace)}${sha256}-` })) {
      if (parseReferenceKey(o.key)?.kind === 'deleting') return o.key;
    }
    throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${s3Url(bucket, key)}: the reference this delta needs is missing`);
  }

  private async download(bucket: string, key: string, sha256: string): Promise<CachedReference> {
    const url = s3Url(bucket, key);
    const got = await this.storage.get(bucket, key);
    // The reference's own metadata already tells a replaced reference: fail before downloading.
    const claimed = readSha256(got.head.metadata, FIELD.fileSha256, url);
    if (claimed !== undefined && claimed !== sha256) {
      got.body.destroy();
      throw new DeltaGliderError(
        'ERR_DG_REFERENCE_MISMATCH',
        `${url}: the stored reference is a different file (its metadata says SHA-256 ${claimed}), but the delta was made against ${sha256}`,
      );
    }
    const hasher = new HashingStream();
    got.body.on('error', (err) => hasher.destroy(err));
    try {
      return await this.cache.put(sha256, got.body.pipe(hasher));
    } catch (err) {
      if (isDeltaGliderError(err, 'ERR_DG_REFERENCE_MISMATCH') && hasher.sha256 !== undefined) {
        throw new DeltaGliderError('ERR_DG_SHA256_MISMATCH', `${url}: the downloaded reference hashes to ${hasher.sha256}, but the delta was made against ${sha256}`);
      }
      throw err;
    }
  }

}

/** Newer last; ties broken by key so every process makes the same choice. */
function compareAge(a: ObjectSummary, b: ObjectSummary): number {
  const at = a.lastModified?.getTime() ?? 0;
  const bt = b.lastModified?.getTime() ?? 0;
  if (at !== bt) return at - bt;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Failures a second GET may not repeat: a body cut short, a reset, bytes damaged on the way.
 * (ERR_DG_IO counts here: the cache reports a body that failed mid-copy that way.)
 */
function isTransferProblem(err: unknown): boolean {
  if (isDeltaGliderError(err)) return err.code === 'ERR_DG_SHA256_MISMATCH' || err.code === 'ERR_DG_STORAGE' || err.code === 'ERR_DG_IO';
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'EPIPE' || code === 'ETIMEDOUT';
}

function storedReferenceProblem(url: string, last: unknown): DeltaGliderError {
  if (isDeltaGliderError(last, 'ERR_DG_SHA256_MISMATCH')) {
    return new DeltaGliderError(
      'ERR_DG_REFERENCE_MISMATCH',
      `${last.message} (the same on ${FETCH_ATTEMPTS} downloads: the stored reference is damaged or is another file)`,
      { cause: last },
    );
  }
  return new DeltaGliderError('ERR_DG_STORAGE', `${url}: could not download the reference (${FETCH_ATTEMPTS} attempts): ${String(last)}`, { cause: last });
}
