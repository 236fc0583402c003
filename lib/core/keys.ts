/**
 * Object keys of the bucket layout (docs: storage-format.md): deltaspaces, reference keys,
 * logical <-> stored keys, and which keys are internal. Pure functions, no I/O.
 */
import { DeltaGliderError } from '../errors';

export const REFERENCE_NAME = 'reference.bin';
export const DELTA_SUFFIX = '.delta';
/** Internal objects (rehydrated copies, stats caches) live under this root prefix. */
export const INTERNAL_PREFIX = '.deltaglider/';

/** Parent "directory" of a key: `a/b/c.zip` -> `a/b`; root keys -> ''. */
export function deltaspaceOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** Key prefix shared by every object directly in a deltaspace (`a/b/`, or '' at the root). */
export function deltaspacePrefix(deltaspace: string): string {
  return deltaspace === '' ? '' : `${deltaspace}/`;
}

/** `<ds>/reference.bin` (or `reference.bin` at the bucket root). */
export function referenceKeyOf(deltaspace: string): string {
  return deltaspacePrefix(deltaspace) + REFERENCE_NAME;
}

/** Last path segment of a key. */
export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

export function isReferenceKey(key: string): boolean {
  return baseName(key) === REFERENCE_NAME;
}

export function isInternalKey(key: string): boolean {
  return key.startsWith(INTERNAL_PREFIX);
}

/** True for keys a listing never shows (references and internal objects). */
export function isHiddenKey(key: string): boolean {
  return isReferenceKey(key) || isInternalKey(key);
}

export function hasDeltaSuffix(key: string): boolean {
  return key.endsWith(DELTA_SUFFIX) && key.length > DELTA_SUFFIX.length && !key.endsWith('/' + DELTA_SUFFIX);
}

/** Stored key of the delta form of a logical key. */
export function deltaKeyOf(logicalKey: string): string {
  return logicalKey + DELTA_SUFFIX;
}

/** Logical key of a stored delta key (`x.zip.delta` -> `x.zip`). */
export function logicalKeyOfDelta(storedKey: string): string {
  return hasDeltaSuffix(storedKey) ? storedKey.slice(0, -DELTA_SUFFIX.length) : storedKey;
}

/** `s3://bucket/key`, for messages. */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/**
 * A key users may write to. Reference and internal names are reserved: writing them would
 * break the deltas of a deltaspace or hide the object.
 */
export function assertWritableKey(bucket: string, key: string): void {
  if (key === '' || key.endsWith('/')) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${s3Url(bucket, key)}: an object key must name a file, not a prefix`);
  }
  if (isReferenceKey(key)) {
    throw new DeltaGliderError(
      'ERR_DG_INVALID_ARGUMENT',
      `${s3Url(bucket, key)}: "${REFERENCE_NAME}" is reserved for the deltaspace reference; choose another name`,
    );
  }
  if (isInternalKey(key)) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${s3Url(bucket, key)}: keys under "${INTERNAL_PREFIX}" are reserved`);
  }
}
