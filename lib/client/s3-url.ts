/** `s3://bucket/key` for the client's convenience methods (upload, download, verify, ...). */
import { DeltaGliderError } from '../errors';

export interface ParsedS3Url {
  bucket: string;
  /** '' for the bucket root; may end in '/' (a prefix). */
  key: string;
}

export function parseClientS3Url(url: string): ParsedS3Url {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/is.exec(url);
  if (!match) throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `not an s3:// URL: "${url}" (expected s3://bucket/key)`);
  return { bucket: match[1], key: match[2] ?? '' };
}

/** A URL that must name one object, not a bucket or prefix. */
export function parseObjectUrl(url: string): { bucket: string; key: string } {
  const parsed = parseClientS3Url(url);
  if (parsed.key === '' || parsed.key.endsWith('/')) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `"${url}" names a bucket or prefix; an object key is needed`);
  }
  return parsed;
}
