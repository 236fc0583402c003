/**
 * Object keys of the bucket layout (docs: storage-format.md): deltaspaces, reference keys,
 * logical <-> stored keys, and which keys are internal. Pure functions, no I/O.
 *
 * References are written once and never overwritten: each new one gets a key of its own,
 * `<ds>/.deltaglider/refs/<sha256>-<nonce>/reference.bin`, derived from its SHA-256 and a
 * random nonce, so no two writers ever write the same reference key and no delta can see
 * its reference replaced. The key ends in `/reference.bin` because that is how the Python
 * DeltaGlider finds a delta's reference: it reads `reference.bin` in the directory of
 * `dg-ref-key`. The legacy `<ds>/reference.bin` (written by the Python tool and by earlier
 * versions) is read and still encoded against, never created.
 */
import { DeltaGliderError } from '../errors';

export const REFERENCE_NAME = 'reference.bin';
export const DELTA_SUFFIX = '.delta';
/** Internal objects (rehydrated copies, stats caches) live under this root prefix. */
export const INTERNAL_PREFIX = '.deltaglider/';
/** Internal folder name; inside a deltaspace it holds that deltaspace's references. */
const INTERNAL_SEGMENT = '.deltaglider';
const REFS_FOLDER = 'refs';
/** Where a reference waits while a delete checks that no new delta needs it. */
const DELETING_FOLDER = 'deleting';
/** `<sha256>-<nonce>`: the folder of a write-once or parked reference. */
const REFERENCE_ID = /^([0-9a-f]{64})-[0-9a-f]{12}$/;

/** Parent "directory" of a key: `a/b/c.zip` -> `a/b`; root keys -> ''. */
export function deltaspaceOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/** Key prefix shared by every object directly in a deltaspace (`a/b/`, or '' at the root). */
export function deltaspacePrefix(deltaspace: string): string {
  return deltaspace === '' ? '' : `${deltaspace}/`;
}

/** `<ds>/reference.bin` (or `reference.bin` at the bucket root): the legacy reference. */
export function referenceKeyOf(deltaspace: string): string {
  return deltaspacePrefix(deltaspace) + REFERENCE_NAME;
}

/** Prefix under which a deltaspace's own references are listed. */
export function referencesPrefixOf(deltaspace: string): string {
  return `${deltaspacePrefix(deltaspace)}${INTERNAL_SEGMENT}/${REFS_FOLDER}/`;
}

/** The write-once key of a new reference with this SHA-256 and nonce (12 hex digits). */
export function immutableReferenceKey(deltaspace: string, sha256: string, nonce: string): string {
  return `${referencesPrefixOf(deltaspace)}${referenceId(sha256, nonce)}/${REFERENCE_NAME}`;
}

function referenceId(sha256: string, nonce: string): string {
  const id = `${sha256}-${nonce}`;
  if (!REFERENCE_ID.test(id)) throw new DeltaGliderError('ERR_DG_INTERNAL', `bad reference id ${id}`);
  return id;
}

/** A reference key taken apart: its deltaspace, and the SHA-256 its key names (write-once keys only). */
export interface ParsedReferenceKey {
  deltaspace: string;
  /** 'legacy': `<ds>/reference.bin`; 'immutable': under `.deltaglider/refs/`; 'deleting': parked by a delete. */
  kind: 'legacy' | 'immutable' | 'deleting';
  /** The SHA-256 in the key (absent for legacy keys, whose bytes may be anything). */
  sha256?: string;
}

/** Parse any reference key; null for keys that are not references. */
export function parseReferenceKey(key: string): ParsedReferenceKey | null {
  if (!isReferenceKey(key)) return null;
  const parts = key.split('/');
  const n = parts.length;
  // .../<ds>/.deltaglider/<refs|deleting>/<id>/reference.bin
  if (n >= 4 && parts[n - 4] === INTERNAL_SEGMENT && (parts[n - 3] === REFS_FOLDER || parts[n - 3] === DELETING_FOLDER)) {
    const id = REFERENCE_ID.exec(parts[n - 2]);
    if (id) {
      return {
        deltaspace: parts.slice(0, n - 4).join('/'),
        kind: parts[n - 3] === REFS_FOLDER ? 'immutable' : 'deleting',
        sha256: id[1],
      };
    }
  }
  if (parts.some((segment) => segment === INTERNAL_SEGMENT)) return null; // some other internal file
  return { deltaspace: deltaspaceOf(key), kind: 'legacy' };
}

/** The deltaspace a reference key belongs to (for `<ds>/.deltaglider/refs/...` it is `<ds>`). */
export function deltaspaceOfReference(key: string): string {
  return parseReferenceKey(key)?.deltaspace ?? deltaspaceOf(key);
}

/** Prefix under which deletes park references while they check nothing needs them. */
export function deletingPrefixOf(deltaspace: string): string {
  return `${deltaspacePrefix(deltaspace)}${INTERNAL_SEGMENT}/${DELETING_FOLDER}/`;
}

/**
 * Where one delete parks a reference while it checks that no delta written meanwhile needs
 * it: `<ds>/.deltaglider/deleting/<sha256>-<nonce>/reference.bin`, a key of its own per
 * delete. Readers that find a reference gone look here for the same SHA-256.
 */
export function deletingKeyOf(deltaspace: string, sha256: string, nonce: string): string {
  return `${deletingPrefixOf(deltaspace)}${referenceId(sha256, nonce)}/${REFERENCE_NAME}`;
}

/** Last path segment of a key. */
export function baseName(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

export function isReferenceKey(key: string): boolean {
  return baseName(key) === REFERENCE_NAME;
}

/**
 * DeltaGlider's own files other than references: anything under a `.deltaglider/` folder,
 * at the bucket root (stats caches, rehydrated copies) or in a deltaspace (its references).
 * Prefixes from delimited listings (`app/1.4/.deltaglider/`) count too.
 */
export function isInternalKey(key: string): boolean {
  if (isReferenceKey(key)) return false;
  return key.split('/').slice(0, -1).includes(INTERNAL_SEGMENT);
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
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${s3Url(bucket, key)}: keys under a "${INTERNAL_PREFIX}" folder are reserved`);
  }
}
