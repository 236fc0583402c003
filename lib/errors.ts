/**
 * The one error class of DeltaGlider. Every failure users can act on carries a stable
 * string `code` (public API, like Node's `err.code`), so callers and the CLI branch on the
 * code, never on the message.
 */
export type DeltaGliderErrorCode =
  // codec (native)
  | 'ERR_DG_CORRUPT_DELTA'
  | 'ERR_DG_CHECKSUM'
  | 'ERR_DG_SOURCE_MISMATCH'
  | 'ERR_DG_UNSUPPORTED'
  | 'ERR_DG_LIMIT'
  | 'ERR_DG_NOMEM'
  | 'ERR_DG_INVALID_ARGUMENT'
  | 'ERR_DG_INTERNAL'
  | 'ERR_DG_NATIVE_LOAD'
  // integrity
  | 'ERR_DG_SHA256_MISMATCH'
  | 'ERR_DG_REFERENCE_MISMATCH'
  | 'ERR_DG_SOURCE_CHANGED'
  // storage and domain
  | 'ERR_DG_NOT_FOUND'
  | 'ERR_DG_BUCKET_NOT_FOUND'
  | 'ERR_DG_ALREADY_EXISTS'
  | 'ERR_DG_PRECONDITION_FAILED'
  | 'ERR_DG_BAD_METADATA'
  | 'ERR_DG_ACCESS_DENIED'
  | 'ERR_DG_NOT_IMPLEMENTED'
  | 'ERR_DG_STORAGE'
  | 'ERR_DG_BUCKET_NOT_EMPTY'
  | 'ERR_DG_USAGE'
  | 'ERR_DG_CACHE_UNSAFE'
  | 'ERR_DG_IO';

export class DeltaGliderError extends Error {
  readonly code: DeltaGliderErrorCode;

  constructor(code: DeltaGliderErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeltaGliderError';
    this.code = code;
  }
}

export function isDeltaGliderError(err: unknown, code?: DeltaGliderErrorCode): err is DeltaGliderError {
  return err instanceof DeltaGliderError && (code === undefined || err.code === code);
}
