/**
 * Finding the stored object behind a logical key. `<key>` is tried first, then
 * `<key>.delta`. A stored key ending in `.delta` is a delta (of the key without the suffix)
 * unless its metadata says `dg-compression=none` — a file that really is named `x.delta`
 * and was stored directly.
 */
import type { Metadata, ObjectHead, StoragePort } from '../ports/storage';
import { DeltaGliderError } from '../errors';
import type { LogicalObject, StorageKind } from './types';
import { deltaKeyOf, deltaspaceOf, hasDeltaSuffix, logicalKeyOfDelta, referenceKeyOf, s3Url } from './keys';
import { isMarkedDirect, parseDeltaMetadata, parseDirectMetadata } from './metadata';

export interface Located {
  kind: StorageKind;
  logicalKey: string;
  storedKey: string;
  head: ObjectHead;
}

/** Kind of a stored object; without metadata (plain listings) the key alone decides. */
export function classifyStored(storedKey: string, metadata?: Metadata): StorageKind {
  if (!hasDeltaSuffix(storedKey)) return 'direct';
  return metadata !== undefined && isMarkedDirect(metadata) ? 'direct' : 'delta';
}

/** Logical key of a stored object of the given kind. */
export function logicalKeyOf(storedKey: string, kind: StorageKind): string {
  return kind === 'delta' ? logicalKeyOfDelta(storedKey) : storedKey;
}

export async function locate(storage: StoragePort, bucket: string, key: string): Promise<Located | null> {
  const plain = await storage.head(bucket, key);
  if (plain && classifyStored(key, plain.metadata) === 'direct') {
    return { kind: 'direct', logicalKey: key, storedKey: key, head: plain };
  }
  const deltaKey = deltaKeyOf(key);
  const delta = await storage.head(bucket, deltaKey);
  if (delta && classifyStored(deltaKey, delta.metadata) === 'delta') {
    return { kind: 'delta', logicalKey: key, storedKey: deltaKey, head: delta };
  }
  return null;
}

export async function locateOrThrow(storage: StoragePort, bucket: string, key: string): Promise<Located> {
  const located = await locate(storage, bucket, key);
  if (!located) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${s3Url(bucket, key)}: no such object`);
  return located;
}

/**
 * The user's view of a located object. Strict: a delta's metadata must be valid (it is what
 * a download would need), a direct object's metadata is optional but must be valid if there.
 */
export function toLogicalObject(bucket: string, located: Located): LogicalObject {
  const { head, kind } = located;
  const where = s3Url(bucket, located.storedKey);
  const base = {
    bucket,
    key: located.logicalKey,
    storedKey: located.storedKey,
    kind,
    storedSize: head.size,
    lastModified: head.lastModified,
    etag: head.etag,
    contentType: head.contentType,
    metadata: head.metadata,
  };
  if (kind === 'delta') {
    const meta = parseDeltaMetadata(head.metadata, where);
    if (meta.fileSize === undefined) {
      throw new DeltaGliderError('ERR_DG_BAD_METADATA', `${where}: metadata dg-file-size is missing`);
    }
    return {
      ...base, size: meta.fileSize, sha256: meta.fileSha256, deltaFormat: meta.deltaFormat,
      referenceKey: meta.refKey ?? referenceKeyOf(deltaspaceOf(located.storedKey)),
    };
  }
  const meta = parseDirectMetadata(head.metadata, where);
  return { ...base, size: head.size, sha256: meta.fileSha256 };
}
