/**
 * Translate AWS SDK errors into DeltaGliderError with a stable code, keeping the SDK error as
 * `cause` so --debug can still show the raw S3 code and request id.
 */
import { DeltaGliderError, type DeltaGliderErrorCode } from '../errors';

interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

function codeFor(s3Code: string, status: number | undefined): DeltaGliderErrorCode {
  if (s3Code === 'NoSuchBucket') return 'ERR_DG_BUCKET_NOT_FOUND';
  if (s3Code === 'NoSuchKey' || s3Code === 'NotFound' || status === 404) return 'ERR_DG_NOT_FOUND';
  if (s3Code === 'AccessDenied' || s3Code === 'Forbidden' || status === 403) return 'ERR_DG_ACCESS_DENIED';
  // 409 ConditionalRequestConflict: S3 lost a race between two conditional writes.
  if (s3Code === 'PreconditionFailed' || s3Code === 'ConditionalRequestConflict' || status === 412) {
    return 'ERR_DG_PRECONDITION_FAILED';
  }
  if (s3Code === 'BucketNotEmpty') return 'ERR_DG_BUCKET_NOT_EMPTY';
  if (s3Code === 'BucketAlreadyOwnedByYou' || s3Code === 'BucketAlreadyExists') return 'ERR_DG_ALREADY_EXISTS';
  if (s3Code === 'NotImplemented' || status === 501) return 'ERR_DG_NOT_IMPLEMENTED';
  return 'ERR_DG_STORAGE';
}

/** `what` names the operation and object, e.g. `GET s3://b/k`. */
export function mapS3Error(err: unknown, what: string): DeltaGliderError {
  if (err instanceof DeltaGliderError) return err;
  const e = (err ?? {}) as SdkErrorShape;
  // S3 errors carry Code/name (NoSuchKey...); network errors are plain Errors with a
  // Node code (ECONNREFUSED...), which says more than the name "Error".
  const s3Code = e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined) ?? e.code ?? 'Unknown';
  const status = e.$metadata?.httpStatusCode;
  const code = codeFor(s3Code, status);
  const detail = e.message && e.message !== s3Code && e.message !== 'UnknownError' ? `: ${e.message}` : '';
  const statusText = status ? ` (HTTP ${status})` : '';
  return new DeltaGliderError(code, `${what} failed: ${s3Code}${statusText}${detail}`, { cause: err });
}
