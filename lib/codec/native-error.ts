/**
 * Native errors become DeltaGliderError with a stack from the caller's code.
 *
 * The addon raises plain Errors carrying a `code` (a codec status such as
 * ERR_DG_CORRUPT_DELTA, or an errno name such as ENOENT) and no useful JS stack — they are
 * made in a callback from the thread pool. So each public entry point captures its call
 * site first, and the converted error gets that stack (the sharp approach).
 */
import { DeltaGliderError, DeltaGliderErrorCode } from '../errors';

const NATIVE_CODES: ReadonlySet<string> = new Set<DeltaGliderErrorCode>([
  'ERR_DG_CORRUPT_DELTA',
  'ERR_DG_CHECKSUM',
  'ERR_DG_SOURCE_MISMATCH',
  'ERR_DG_UNSUPPORTED',
  'ERR_DG_LIMIT',
  'ERR_DG_NOMEM',
  'ERR_DG_IO',
  'ERR_DG_INVALID_ARGUMENT',
  'ERR_DG_INTERNAL',
]);

/** Stack frames (without the message line) of whoever called `entryPoint`. */
export function captureCallSite(entryPoint: (...args: never[]) => unknown): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, entryPoint);
  return (holder.stack ?? '').split('\n').slice(1).join('\n');
}

/** Converts anything thrown by the addon (or by fs under a codec call) to DeltaGliderError. */
export function toCodecError(err: unknown, callSite: string): DeltaGliderError {
  if (err instanceof DeltaGliderError) return err;
  const message = isErrorLike(err) ? err.message : String(err);
  const converted = new DeltaGliderError(codeOf(err), message, { cause: err });
  if (callSite) converted.stack = `${converted.name}: ${message}\n${callSite}`;
  return converted;
}

function codeOf(err: unknown): DeltaGliderErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (NATIVE_CODES.has(code)) return code as DeltaGliderErrorCode;
    if (/^E[A-Z0-9]+$/.test(code)) return 'ERR_DG_IO'; // errno names from open/mmap/fs
  }
  // Argument checks in the addon: our callers passed something unusable. (By name: errors
  // made by the addon belong to Node's main realm, where `instanceof` may not match.)
  const name = isErrorLike(err) ? err.name : '';
  if (name === 'TypeError' || name === 'RangeError') return 'ERR_DG_INVALID_ARGUMENT';
  return 'ERR_DG_INTERNAL';
}

function isErrorLike(err: unknown): err is Error {
  return typeof err === 'object' && err !== null && typeof (err as Error).message === 'string';
}
