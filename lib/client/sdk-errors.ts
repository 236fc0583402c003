/**
 * Errors the client throws stay DeltaGliderError (stable `code`), but also carry what code
 * written for S3Client checks: `name` set to S3's error code (`NoSuchKey`, `NotFound`,
 * `NoSuchBucket`, ...) and `$metadata.httpStatusCode`. So `err.name === 'NoSuchKey'` and
 * `err.$metadata?.httpStatusCode === 404` keep working after the swap.
 */
import { DeltaGliderError, type DeltaGliderErrorCode } from '../errors';

export interface SdkCompatibleError extends DeltaGliderError {
  $metadata: { httpStatusCode?: number };
  $fault: 'client' | 'server';
}

const S3_EQUIVALENT: Partial<Record<DeltaGliderErrorCode, { name: string; status: number }>> = {
  ERR_DG_NOT_FOUND: { name: 'NoSuchKey', status: 404 },
  ERR_DG_BUCKET_NOT_FOUND: { name: 'NoSuchBucket', status: 404 },
  ERR_DG_ACCESS_DENIED: { name: 'AccessDenied', status: 403 },
  ERR_DG_NOT_IMPLEMENTED: { name: 'NotImplemented', status: 501 },
  ERR_DG_BUCKET_NOT_EMPTY: { name: 'BucketNotEmpty', status: 409 },
  ERR_DG_ALREADY_EXISTS: { name: 'BucketAlreadyOwnedByYou', status: 409 },
  ERR_DG_PRECONDITION_FAILED: { name: 'PreconditionFailed', status: 412 },
  ERR_DG_INVALID_ARGUMENT: { name: 'InvalidArgument', status: 400 },
  ERR_DG_USAGE: { name: 'InvalidArgument', status: 400 },
};

/**
 * Decorate `err` for SDK-style callers. `notFoundName` lets HEAD say `NotFound` (as S3's HEAD,
 * which has no body, does) where GET says `NoSuchKey`.
 */
export function toSdkError(err: unknown, notFoundName = 'NoSuchKey'): unknown {
  if (!(err instanceof DeltaGliderError)) return err;
  const equivalent = S3_EQUIVALENT[err.code];
  const decorated = err as SdkCompatibleError;
  if (equivalent) {
    decorated.name = err.code === 'ERR_DG_NOT_FOUND' ? notFoundName : equivalent.name;
    decorated.$metadata = { httpStatusCode: equivalent.status };
    decorated.$fault = equivalent.status < 500 ? 'client' : 'server';
  } else {
    decorated.$metadata ??= {};
    decorated.$fault = 'server';
  }
  return decorated;
}

export function notImplemented(what: string): DeltaGliderError {
  return new DeltaGliderError('ERR_DG_NOT_IMPLEMENTED', `${what} is not implemented by DeltaGliderClient`);
}
