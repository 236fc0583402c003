/**
 * Temporary files: downloads land in a temp file BESIDE the destination (same filesystem,
 * so the final rename is atomic); spooled uploads and deltas go to the service's temp dir.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { DeltaGliderError } from '../errors';

/** `<dir>/.<name>.dg-<random>.tmp` beside `destination`; creates the directory. */
export async function tempPathBeside(destination: string): Promise<string> {
  const dir = dirname(destination);
  await mkdir(dir, { recursive: true });
  return join(dir, `.${basename(destination)}.dg-${randomBytes(6).toString('hex')}.tmp`);
}

/** Remove a file if it exists; never throws (used on error paths). */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** A private scratch directory, removed with everything in it by the returned function. */
export async function scratchDir(baseDir: string): Promise<{ path: string; dispose: () => Promise<void> }> {
  await mkdir(baseDir, { recursive: true });
  const path = await mkdtemp(join(baseDir, 'deltaglider-'));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/** Write a stream to a file; the file is removed if the stream fails. */
export async function spoolToFile(source: Readable | NodeJS.ReadableStream, path: string): Promise<void> {
  try {
    await pipeline(source, createWriteStream(path));
  } catch (err) {
    await removeQuietly(path);
    throw err;
  }
}

/** Size of a local file to upload; ERR_DG_NOT_FOUND / ERR_DG_INVALID_ARGUMENT when it is none. */
export async function regularFileSize(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${path}: no such file`, { cause: err });
    throw new DeltaGliderError('ERR_DG_IO', `${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!info.isFile()) throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${path}: not a regular file`);
  return info.size;
}
