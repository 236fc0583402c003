/**
 * Which bucket names and object keys FsStorage can map onto a directory tree, and where
 * each lives. Anything that could escape the root, or that a filesystem cannot represent
 * (empty or dot segments, NUL), is refused up front with ERR_DG_USAGE.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DeltaGliderError } from '../errors';

/** Internal directories at the root; bucket names never start with '.', so no clash. */
export const META_DIR = '.dg-meta';
export const TMP_DIR = '.dg-tmp';

export function checkBucketName(bucket: string): void {
  if (
    typeof bucket !== 'string' ||
    bucket === '' ||
    bucket.startsWith('.') ||
    /[/\\\0]/.test(bucket) ||
    Buffer.byteLength(bucket) > 255
  ) {
    throw new DeltaGliderError(
      'ERR_DG_USAGE',
      `invalid bucket name ${JSON.stringify(bucket)} for a file:// store (no '/', '\\', NUL, leading '.')`,
    );
  }
}

export function checkKey(key: string): void {
  const fail = (why: string): never => {
    throw new DeltaGliderError('ERR_DG_USAGE', `object key ${JSON.stringify(key)} cannot be stored in a file:// store: ${why}`);
  };
  if (typeof key !== 'string' || key === '') fail('empty key');
  if (key.includes('\0')) fail('contains NUL');
  if (key.startsWith('/')) fail('absolute path');
  for (const segment of key.split('/')) {
    if (segment === '') fail("empty path segment ('//' or trailing '/')");
    if (segment === '.' || segment === '..') fail(`'${segment}' path segment`);
    if (Buffer.byteLength(segment) > 255) fail('a path segment is longer than 255 bytes');
  }
}

/**
 * Sidecars live outside the bucket tree, in one flat directory per bucket, named by the
 * key's hash and the data file's inode. The name can never be an object key (it is not in
 * the bucket tree at all), and tying it to the inode means a sidecar is written BEFORE its
 * data file is renamed into place: readers never see data with someone else's metadata.
 */
export function sidecarPath(root: string, bucket: string, key: string, ino: number | bigint): string {
  const keyHash = createHash('sha256').update(key).digest('hex');
  return join(root, META_DIR, bucket, `${keyHash}-${ino.toString()}.json`);
}

export function objectPath(root: string, bucket: string, key: string): string {
  return join(root, bucket, ...key.split('/'));
}

/** S3 orders keys by their UTF-8 bytes, which is not JavaScript's UTF-16 string order. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}
