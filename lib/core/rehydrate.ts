/**
 * Rehydration: a presigned URL can only hand out bytes that exist, so a delta object is first
 * rebuilt (and SHA-256 verified by the service) into a temporary full copy at
 * `.deltaglider/tmp/<32 hex>_<name>`, which carries an expiry for `purge`.
 *
 * The 32 hex digits are the start of the original's SHA-256 (random when it is unknown), so
 * presigning the same content again finds the copy already there: while it outlives the
 * new URL it is handed out as it is, otherwise it is written again with the later expiry.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DeltaGliderError } from '../errors';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { StoragePort } from '../ports/storage';
import { INTERNAL_PREFIX, baseName } from './keys';
import { FIELD, formatTimestamp, parseUtcTimestamp, readField } from './metadata';
import type { DeltaServiceApi, LogicalObject } from './types';

/** Where rehydrated copies live: `.deltaglider/tmp/<32 hex>_<original name>`. */
export const REHYDRATED_PREFIX = `${INTERNAL_PREFIX}tmp/`;

export interface RehydrateOptions {
  /** How long the copy must stay (the presigned URL's lifetime), in seconds. */
  expiresInSeconds: number;
  clock?: Clock;
  /** Local scratch directory (default: the OS temp dir). */
  tempDir?: string;
}

export interface RehydrateResult {
  bucket: string;
  /** The logical key asked for. */
  originalKey: string;
  /** Key to download: the rehydrated copy for deltas, the object itself for direct ones. */
  key: string;
  /** File name a download should be saved under (the original name). */
  fileName: string;
  /** False for direct objects: nothing had to be rebuilt. */
  rehydrated: boolean;
  /** When purge may delete the copy (rehydrated only). */
  expiresAt?: Date;
  /** A copy left by an earlier call was still valid long enough and was handed out. */
  reused?: boolean;
  size: number;
}

/** Make a logical key downloadable as plain bytes; rebuilds deltas into a temporary copy. */
export async function rehydrateForDownload(
  storage: StoragePort,
  service: DeltaServiceApi,
  bucket: string,
  key: string,
  options: RehydrateOptions,
): Promise<RehydrateResult> {
  const seconds = options.expiresInSeconds;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `expiry must be a positive number of seconds, got ${seconds}`);
  }
  const object = await service.head(bucket, key);
  if (!object) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `s3://${bucket}/${key} does not exist`);
  const fileName = originalFileName(object);
  if (object.kind === 'direct') {
    return { bucket, originalKey: object.key, key: object.storedKey, fileName, rehydrated: false, size: object.size };
  }

  const clock = options.clock ?? systemClock;
  const now = clock.now();
  const expiresAt = new Date(now.getTime() + seconds * 1000);
  const id = object.sha256 ? object.sha256.slice(0, 32) : randomBytes(16).toString('hex');
  const copyKey = `${REHYDRATED_PREFIX}${id}_${safeName(fileName)}`;
  const existing = object.sha256 ? await reusableCopy(storage, bucket, copyKey, object, expiresAt) : undefined;
  if (existing) {
    return { bucket, originalKey: object.key, key: copyKey, fileName, rehydrated: true, expiresAt: existing, size: object.size, reused: true };
  }
  const scratch = await mkdtemp(join(options.tempDir ?? tmpdir(), 'dg-rehydrate-'));
  try {
    const file = join(scratch, 'object');
    // get() verifies the SHA-256 before the file appears, so a corrupt delta never becomes a
    // downloadable copy.
    const got = await service.get(bucket, object.key, file);
    await storage.put(bucket, copyKey, { file }, {
      contentType: object.contentType,
      metadata: {
        'dg-expires-at': formatTimestamp(expiresAt),
        'dg-original-key': object.key,
        'dg-original-filename': fileName,
        'dg-rehydrated': 'true',
        'dg-created-at': formatTimestamp(now),
        'dg-file-sha256': got.sha256,
      },
    });
    return { bucket, originalKey: object.key, key: copyKey, fileName, rehydrated: true, expiresAt, size: got.size };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The expiry of a copy at copyKey holding object's bytes (same SHA-256 and size) that stays
 * at least until `needed`; undefined when there is none.
 */
async function reusableCopy(
  storage: StoragePort,
  bucket: string,
  copyKey: string,
  object: LogicalObject,
  needed: Date,
): Promise<Date | undefined> {
  const head = await storage.head(bucket, copyKey);
  if (!head || head.size !== object.size) return undefined;
  const meta = head.metadata;
  if (meta['dg-rehydrated'] !== 'true' || meta['dg-file-sha256'] !== object.sha256) return undefined;
  const expires = parseUtcTimestamp(meta['dg-expires-at']);
  return expires && expires.getTime() >= needed.getTime() ? expires : undefined;
}

function originalFileName(object: LogicalObject): string {
  return (object.metadata && readField(object.metadata, FIELD.originalName)) || baseName(object.key);
}

/** Metadata is untrusted: keep the name usable as one key component. */
function safeName(name: string): string {
  const cleaned = name.replace(/[\\/\x00-\x1f\x7f]/g, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'object' : cleaned;
}

export interface PresignedDownload extends RehydrateResult {
  url: string;
}

/**
 * A presigned GET URL for the original bytes of a logical key: deltas are rehydrated first,
 * and the URL asks for the original file name. Presigning is computed locally, so the store's
 * support is probed on the key itself first: a store without presigned URLs (file://) fails
 * before a useless copy is written.
 */
export async function presignDownload(
  storage: StoragePort,
  service: DeltaServiceApi,
  bucket: string,
  key: string,
  options: RehydrateOptions,
): Promise<PresignedDownload> {
  await storage.presignGet(bucket, key, options.expiresInSeconds);
  const target = await rehydrateForDownload(storage, service, bucket, key, options);
  const url = await storage.presignGet(bucket, target.key, options.expiresInSeconds, { fileName: target.fileName });
  return { ...target, url };
}
