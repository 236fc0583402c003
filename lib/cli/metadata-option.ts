/**
 * `--metadata k=v,k2=v2` (the aws shorthand) or `--metadata '{"k":"v"}'` (JSON), checked
 * here so a bad value is a usage error instead of an S3 rejection after the upload started.
 */
import { usageError } from './context';

// S3 sends user metadata as HTTP headers: names are tokens, values printable ASCII.
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const VALUE = /^[\x20-\x7e]*$/;
// S3 allows 2 KB of user metadata in total, and DeltaGlider's own dg-* keys need some of it.
const MAX_USER_METADATA_BYTES = 1024;

export function parseMetadataOption(value: string): Record<string, string> {
  const entries = value.trim().startsWith('{') ? jsonEntries(value) : shorthandEntries(value);
  const metadata: Record<string, string> = {};
  let bytes = 0;
  for (const [rawName, rawValue] of entries) {
    const name = rawName.trim().toLowerCase();
    if (!NAME.test(name)) throw usageError(`--metadata: invalid name '${rawName}' (letters, digits, '.', '-', '_')`);
    if (name.startsWith('dg-') || name.startsWith('dg_')) {
      throw usageError(`--metadata: '${name}' is reserved for DeltaGlider's own metadata`);
    }
    if (!VALUE.test(rawValue)) throw usageError(`--metadata: value of '${name}' must be printable ASCII`);
    metadata[name] = rawValue;
    bytes += name.length + rawValue.length;
  }
  if (bytes > MAX_USER_METADATA_BYTES) {
    throw usageError(`--metadata: ${bytes} bytes is too much (at most ${MAX_USER_METADATA_BYTES})`);
  }
  return metadata;
}

function jsonEntries(value: string): [string, string][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw usageError(`--metadata: not valid JSON: ${value}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw usageError('--metadata: JSON must be an object of string values');
  }
  return Object.entries(parsed).map(([name, v]) => {
    if (typeof v !== 'string') throw usageError(`--metadata: value of '${name}' must be a string`);
    return [name, v];
  });
}

function shorthandEntries(value: string): [string, string][] {
  return value
    .split(',')
    .filter((part) => part.trim() !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq <= 0) throw usageError(`--metadata: expected key=value, got '${part}'`);
      return [part.slice(0, eq), part.slice(eq + 1)];
    });
}

/** User metadata of a stored object: everything but DeltaGlider's own keys (any spelling). */
export function userMetadata(stored: Record<string, string> | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(stored ?? {})) {
    if (!/^dg[-_]/.test(name) && !LEGACY_DG_NAMES.has(name)) result[name] = value;
  }
  return result;
}

// Bare legacy spellings of dg-* fields still found in buckets written by older tools.
const LEGACY_DG_NAMES = new Set(
  [
    'original-name', 'source-name', 'file-sha256', 'file-size', 'created-at', 'ref-key', 'ref-sha256',
    'delta-size', 'delta-cmd', 'tool', 'note', 'compression', 'expires-at', 'original-key', 'original-filename',
    'rehydrated',
  ].flatMap((n) => [n, n.replace(/-/g, '_')]),
);
