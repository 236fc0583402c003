/** Local side of recursive transfers: the files under a directory, in a stable order. */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

import { DeltaGliderError } from '../errors';

export interface LocalFile {
  path: string;
  /** Path relative to the walked root, '/'-separated (what filters and keys use). */
  relative: string;
  size: number;
}

/** Every regular file below `root` (following symlinks, as aws does), sorted by relative path. */
export async function walkFiles(root: string): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  async function visit(dir: string, relativeDir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      const info = entry.isSymbolicLink() ? await stat(path).catch(() => null) : entry;
      if (!info) continue; // dangling link: nothing to upload
      if (info.isDirectory()) await visit(path, relative);
      else if (info.isFile()) files.push({ path, relative, size: (await stat(path)).size });
    }
  }
  await visit(root, '');
  return files.sort((a, b) => (a.relative < b.relative ? -1 : a.relative > b.relative ? 1 : 0));
}

/** stat() that says null for a missing path instead of throwing. */
export async function statOrNull(path: string): Promise<Awaited<ReturnType<typeof stat>> | null> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw err;
  }
}

/** A key that would land outside the destination directory (`a/../../x`) is refused. */
export function assertSafeRelative(relative: string, where: string): void {
  if (isAbsolute(relative) || relative.split('/').some((part) => !isSafeName(part))) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `refusing ${where}: not a safe relative path`);
  }
}

/**
 * A name an object may be written under on this machine: not empty, `.` or `..` (which would
 * land the file, or its temp file, outside the destination), and without control characters.
 */
export function isSafeName(name: string): boolean {
  // eslint-disable-next-line no-control-regex
  return name !== '' && name !== '.' && name !== '..' && !/[\u0000-\u001f\u007f]/.test(name);
}
