/**
 * The `dg-*` metadata of stored objects (docs: storage-format.md). We always WRITE the
 * `dg-` spelling; on READ we accept every legacy spelling the Python tool has used, first
 * non-empty wins, in the documented order: `dg-a-b`, `dg_a_b`, `a_b`, `a-b`.
 * Values read from a bucket are external input: they are validated here, and a bad value
 * is ERR_DG_BAD_METADATA naming the object and the field.
 */
import { DeltaGliderError } from '../errors';
import type { Metadata } from '../ports/storage';

/** Field names without prefix, in their dashed form. */
export const FIELD = {
  tool: 'tool',
  originalName: 'original-name',
  sourceName: 'source-name',
  fileSha256: 'file-sha256',
  fileSize: 'file-size',
  createdAt: 'created-at',
  refKey: 'ref-key',
  refSha256: 'ref-sha256',
  deltaSize: 'delta-size',
  deltaCmd: 'delta-cmd',
  note: 'note',
  compression: 'compression',
  deltaFormat: 'delta-format',
} as const;

export type FieldName = (typeof FIELD)[keyof typeof FIELD];

export const REFERENCE_NOTE = 'reference';
export const ZERO_DIFF_NOTE = 'zero-diff (reference identical)';

/** The spellings a field may have in a bucket, in the order they are tried. */
export function spellingsOf(field: FieldName): string[] {
  const underscored = field.replace(/-/g, '_');
  return [...new Set([`dg-${field}`, `dg_${underscored}`, underscored, field])];
}

/**
 * Stored names that are read as one of our fields. The bare `tool` and `note` are left to
 * users: they are informational, whereas e.g. a user `compression` would change how an
 * object is read.
 */
const RESERVED_NAMES = new Set(
  Object.values(FIELD)
    .flatMap(spellingsOf)
    .filter((name) => name !== FIELD.tool && name !== FIELD.note),
);

export function isDeltaGliderMetadataKey(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_NAMES.has(lower) || lower.startsWith('dg-') || lower.startsWith('dg_');
}

/** The value of a field in any spelling (first non-empty), or undefined. */
export function readField(metadata: Metadata, field: FieldName): string | undefined {
  for (const name of spellingsOf(field)) {
    const value = metadata[name];
    if (value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
const DECIMAL = /^[0-9]+$/;

function badMetadata(where: string, field: FieldName, problem: string): DeltaGliderError {
  return new DeltaGliderError('ERR_DG_BAD_METADATA', `${where}: metadata dg-${field} ${problem}`);
}

/** A SHA-256 field: 64 hex digits, returned lowercase. `where` names the object for errors. */
export function readSha256(metadata: Metadata, field: FieldName, where: string, required: true): string;
export function readSha256(metadata: Metadata, field: FieldName, where: string, required?: false): string | undefined;
export function readSha256(metadata: Metadata, field: FieldName, where: string, required = false): string | undefined {
  const value = readField(metadata, field);
  if (value === undefined) {
    if (required) throw badMetadata(where, field, 'is missing');
    return undefined;
  }
  if (!SHA256_HEX.test(value)) throw badMetadata(where, field, `is not a SHA-256 (64 hex digits): "${clip(value)}"`);
  return value.toLowerCase();
}

/** A byte count field: a non-negative safe integer. */
export function readSize(metadata: Metadata, field: FieldName, where: string): number | undefined {
  const value = readField(metadata, field);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!DECIMAL.test(value) || !Number.isSafeInteger(n)) throw badMetadata(where, field, `is not a byte count: "${clip(value)}"`);
  return n;
}

/**
 * An ISO-8601 timestamp. The Python tool writes naive UTC (no zone); a value without a
 * zone is therefore read as UTC. Unparseable values are ignored (informational field).
 */
export function readTimestamp(metadata: Metadata, field: FieldName): Date | undefined {
  return parseUtcTimestamp(readField(metadata, field)) ?? undefined;
}

/** ISO-8601 UTC with `Z`, the form we write. */
export function formatTimestamp(date: Date): string {
  return date.toISOString();
}

/**
 * A timestamp (expiry, creation) as a UTC instant. The Python tool writes naive UTC (no
 * zone designator); `new Date()` would read that as LOCAL time — the kind of slip that
 * makes a purge delete nothing. Returns null for an unreadable value.
 */
export function parseUtcTimestamp(value: string | undefined): Date | null {
  if (!value) return null;
  const trimmed = value.trim();
  const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(trimmed);
  const time = Date.parse(hasZone ? trimmed : `${trimmed.replace(' ', 'T')}Z`);
  return Number.isNaN(time) ? null : new Date(time);
}

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

/** True when the metadata marks a direct upload (`dg-compression=none`). */
export function isMarkedDirect(metadata: Metadata): boolean {
  return readField(metadata, FIELD.compression)?.toLowerCase() === 'none';
}

/**
 * The kinds of delta body: VCDIFF (what xdelta3 and the Python tool read; every delta
 * without `dg-delta-format` is one) and DGD, DeltaGlider's own container (docs/delta-format.md).
 */
export const DELTA_KINDS = ['vcdiff', 'dgd'] as const;
export type DeltaKind = (typeof DELTA_KINDS)[number];

/** What a delta object's metadata must tell us to rebuild it. */
export interface DeltaMetadata {
  fileSha256: string;
  refSha256: string;
  deltaFormat: DeltaKind;
  fileSize?: number;
  refKey?: string;
  deltaSize?: number;
  originalName?: string;
  createdAt?: Date;
  tool?: string;
  note?: string;
}

/** Parse and validate a delta's metadata; a delta without a valid file and reference SHA-256 is unusable. */
export function parseDeltaMetadata(metadata: Metadata, where: string): DeltaMetadata {
  const refKey = readField(metadata, FIELD.refKey);
  if (refKey !== undefined && (refKey.startsWith('/') || refKey.endsWith('/'))) {
    throw badMetadata(where, FIELD.refKey, `is not an object key: "${clip(refKey)}"`);
  }
  return {
    fileSha256: readSha256(metadata, FIELD.fileSha256, where, true),
    refSha256: readSha256(metadata, FIELD.refSha256, where, true),
    deltaFormat: readDeltaKind(metadata, where),
    fileSize: readSize(metadata, FIELD.fileSize, where),
    refKey,
    deltaSize: readSize(metadata, FIELD.deltaSize, where),
    originalName: readField(metadata, FIELD.originalName),
    createdAt: readTimestamp(metadata, FIELD.createdAt),
    tool: readField(metadata, FIELD.tool),
    note: readField(metadata, FIELD.note),
  };
}

/** dg-delta-format; a kind this version does not know is refused, never guessed. */
function readDeltaKind(metadata: Metadata, where: string): DeltaKind {
  const value = readField(metadata, FIELD.deltaFormat)?.toLowerCase();
  if (value === undefined) return 'vcdiff';
  if ((DELTA_KINDS as readonly string[]).includes(value)) return value as DeltaKind;
  throw new DeltaGliderError(
    'ERR_DG_UNSUPPORTED',
    `${where}: delta format "${clip(value)}" is not one this version reads (${DELTA_KINDS.join(', ')}); upgrade DeltaGlider`,
  );
}

/** A direct object's metadata: everything optional (objects written by other tools have none). */
export interface DirectMetadata {
  fileSha256?: string;
  fileSize?: number;
  originalName?: string;
  createdAt?: Date;
}

export function parseDirectMetadata(metadata: Metadata, where: string): DirectMetadata {
  return {
    fileSha256: readSha256(metadata, FIELD.fileSha256, where),
    fileSize: readSize(metadata, FIELD.fileSize, where),
    originalName: readField(metadata, FIELD.originalName),
    createdAt: readTimestamp(metadata, FIELD.createdAt),
  };
}

// ---- writing: always the dg- spelling ----

function dg(fields: Partial<Record<FieldName, string>>): Metadata {
  const out: Metadata = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) out[`dg-${name}`] = value;
  return out;
}

export interface ReferenceMetadataInput {
  tool: string;
  sourceName: string;
  sha256: string;
  createdAt: Date;
}

export function referenceMetadata(input: ReferenceMetadataInput): Metadata {
  return dg({
    tool: input.tool,
    'source-name': input.sourceName,
    'file-sha256': input.sha256,
    'created-at': formatTimestamp(input.createdAt),
    note: REFERENCE_NOTE,
  });
}

export interface DeltaMetadataInput {
  tool: string;
  originalName: string;
  sha256: string;
  size: number;
  createdAt: Date;
  refKey: string;
  refSha256: string;
  deltaSize: number;
  deltaCmd: string;
  deltaFormat: DeltaKind;
  note?: string;
}

export function deltaMetadata(input: DeltaMetadataInput): Metadata {
  return dg({
    tool: input.tool,
    'original-name': input.originalName,
    'file-sha256': input.sha256,
    'file-size': String(input.size),
    'created-at': formatTimestamp(input.createdAt),
    'ref-key': input.refKey,
    'ref-sha256': input.refSha256,
    'delta-size': String(input.deltaSize),
    'delta-cmd': input.deltaCmd,
    'delta-format': input.deltaFormat,
    note: input.note,
  });
}

export interface DirectMetadataInput {
  tool: string;
  originalName: string;
  sha256: string;
  size: number;
  createdAt: Date;
}

export function directMetadata(input: DirectMetadataInput): Metadata {
  return dg({
    tool: input.tool,
    'original-name': input.originalName,
    'file-sha256': input.sha256,
    'file-size': String(input.size),
    'created-at': formatTimestamp(input.createdAt),
    compression: 'none',
  });
}

/**
 * User metadata to store beside ours: names lowercased, our own names refused (a user value
 * must never masquerade as dg-* metadata).
 */
export function userMetadata(metadata: Metadata | undefined): Metadata {
  const out: Metadata = {};
  for (const [rawName, value] of Object.entries(metadata ?? {})) {
    const name = rawName.toLowerCase();
    if (isDeltaGliderMetadataKey(name)) {
      throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `user metadata "${rawName}" clashes with DeltaGlider's own metadata names`);
    }
    out[name] = String(value);
  }
  return out;
}

/** S3 limits user metadata to 2 KB (names and values, in UTF-8). */
export const METADATA_LIMIT_BYTES = 2048;

function metadataBytes(metadata: Metadata): number {
  return Object.entries(metadata).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
}

/**
 * Make metadata fit S3's limit: the informational dg-delta-cmd goes first (it repeats the
 * file name twice); if it still does not fit, fail clearly before any upload.
 */
export function fitMetadata(metadata: Metadata, where: string): Metadata {
  if (metadataBytes(metadata) <= METADATA_LIMIT_BYTES) return metadata;
  const { [`dg-${FIELD.deltaCmd}`]: _dropped, ...rest } = metadata;
  const size = metadataBytes(rest);
  if (size <= METADATA_LIMIT_BYTES) return rest;
  throw new DeltaGliderError(
    'ERR_DG_INVALID_ARGUMENT',
    `${where}: metadata would be ${size} bytes, over S3's ${METADATA_LIMIT_BYTES}-byte limit (shorten user metadata or the file name)`,
  );
}
