/** A bucket given as `name`, `s3://name` or `s3://name/`, for the bucket-level commands. */
import { usageError } from './context';
import { isS3Url, parseS3Url } from './s3-url';

export function bucketArgument(value: string): string {
  const url = isS3Url(value) ? value : `s3://${value}`;
  const { bucket, key } = parseS3Url(url);
  if (key !== '') throw usageError(`expected a bucket, got '${value}' (no key or prefix here)`);
  return bucket;
}
