/**
 * `s3://bucket/key` URLs as the CLI accepts them. A URL is either a bucket alone
 * (`s3://b`, `s3://b/`) or a bucket and a key (which may be a prefix ending in '/').
 * Anything else is a usage error (exit code 2), never a crash deeper down.
 */
import { usageError } from './context';

export interface S3Location {
  bucket: string;
  /** Bucket-relative key or prefix; '' for the bucket root. */
  key: string;
}

const SCHEME = 's3://';
// Looser than AWS's rule (3-63 lowercase letters, digits, dots, hyphens): older buckets,
// S3-compatible stores and file:// stores allow uppercase, underscores and short names. The
// store has the last word; this only catches what can never be a bucket.
const BUCKET_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

export function isS3Url(value: string): boolean {
  return value.toLowerCase().startsWith(SCHEME);
}

export function parseS3Url(value: string): S3Location {
  if (!isS3Url(value)) throw usageError(`not an s3:// URL: '${value}' (expected s3://bucket/key)`);
  const rest = value.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const key = slash < 0 ? '' : rest.slice(slash + 1);
  if (bucket === '') throw usageError(`no bucket name in '${value}' (expected s3://bucket/key)`);
  if (!BUCKET_NAME.test(bucket)) {
    throw usageError(`invalid bucket name '${bucket}' in '${value}' (up to 63 letters, digits, '.', '-', '_')`);
  }
  if (key.includes('\0')) throw usageError(`invalid key in '${value}'`);
  return { bucket, key };
}

export function formatS3Url(bucket: string, key = ''): string {
  return `${SCHEME}${bucket}/${key}`;
}

/** The last path segment of a key (`a/b/c.zip` -> `c.zip`); '' for a prefix ending in '/'. */
export function keyBaseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** A prefix that names a "directory": '' stays '', otherwise it ends in exactly one '/'. */
export function directoryPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : key + '/';
}
