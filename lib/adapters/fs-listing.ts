/**
 * Walk a bucket directory in S3 key order (UTF-8 byte order of the full key), lazily, so a
 * page of 1000 keys reads only the directories it needs. Subtrees that lie wholly before the
 * resume point or outside the prefix are never opened.
 */
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DeltaGliderError } from '../errors';
import { compareKeys } from './fs-names';

/** Where a listing resumes: after `key`, and after everything under it when it is a folded prefix. */
export interface ResumePoint {
  key: string;
  isPrefix: boolean;
}

export interface WalkState {
  prefix: string;
  /** Updated by the consumer as it emits keys and common prefixes; read before every step. */
  after?: ResumePoint;
}

export interface WalkedFile {
  key: string;
  path: string;
}

interface Entry {
  name: string;
  isDir: boolean;
  /** The name as it sorts among siblings: directories sort as `name/`. */
  sortName: string;
}

export async function* walkKeys(dir: string, state: WalkState, keyPrefix = ''): AsyncGenerator<WalkedFile> {
  for (const entry of await sortedEntries(dir)) {
    if (entry.isDir) {
      const subtree = keyPrefix + entry.name + '/';
      if (!subtreeMayMatch(subtree, state)) continue;
      yield* walkKeys(join(dir, entry.name), state, subtree);
    } else {
      const key = keyPrefix + entry.name;
      if (key.startsWith(state.prefix) && isAfter(key, state.after)) yield { key, path: join(dir, entry.name) };
    }
  }
}

function subtreeMayMatch(subtree: string, state: WalkState): boolean {
  if (!(subtree.startsWith(state.prefix) || state.prefix.startsWith(subtree))) return false;
  const after = state.after;
  if (!after) return true;
  if (after.isPrefix && subtree.startsWith(after.key)) return false;
  // Every key below `subtree` starts with it; if the resume key is past the subtree's
  // prefix without being inside it, the whole subtree sorts before the resume key.
  return !(compareKeys(after.key, subtree) > 0 && !after.key.startsWith(subtree));
}

function isAfter(key: string, after: ResumePoint | undefined): boolean {
  if (!after) return true;
  if (after.isPrefix && key.startsWith(after.key)) return false;
  return compareKeys(key, after.key) > 0;
}

async function sortedEntries(dir: string): Promise<Entry[]> {
  let dirents: Dirent[];
  try {
    dirents = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // A directory removed while we walk (a concurrent delete pruned it) simply has no keys.
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw new DeltaGliderError('ERR_DG_IO', `cannot read directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const entries: Entry[] = [];
  for (const d of dirents) {
    // Symlinks are never followed (nor listed): the store stays inside its root.
    const isDir = d.isDirectory();
    if (isDir || d.isFile()) entries.push({ name: d.name, isDir, sortName: isDir ? d.name + '/' : d.name });
  }
  return entries.sort((a, b) => compareKeys(a.sortName, b.sortName));
}

export function encodeToken(point: ResumePoint): string {
  return Buffer.from(JSON.stringify({ k: point.key, p: point.isPrefix ? 1 : 0 })).toString('base64url');
}

export function decodeToken(token: string): ResumePoint {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown; p?: unknown };
    if (typeof parsed.k === 'string') return { key: parsed.k, isPrefix: parsed.p === 1 };
  } catch {
    // fall through to the error below
  }
  throw new DeltaGliderError('ERR_DG_USAGE', `invalid continuation token ${JSON.stringify(token)}`);
}
