/**
 * Temporary files: downloads land in a temp file BESIDE the destination (same filesystem,
 * so the final rename is atomic); spooled uploads and deltas go to a scratch directory in
 * the service's temp dir. Both are removed when the process is interrupted (lib/interrupt),
 * and what a killed process left behind is swept by later runs: a destination's stale temp
 * files when it is next written, scratch directories older than a day by any upload.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, rmSync, unlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { DeltaGliderError } from '../errors';
import { undoOnInterrupt } from '../interrupt';

/** Left-over temp files and scratch directories older than this belong to nobody. */
const STALE_MS = 24 * 3600 * 1000;
const SCRATCH_PREFIX = 'deltaglider-';

/** A file being written beside its destination, renamed into place by commit(). */
export interface TempFile {
  path: string;
  /** Rename over the destination (atomic), then sweep stale temp files of earlier runs. */
  commit(): Promise<void>;
  /** Remove it; never throws (error paths). */
  discard(): Promise<void>;
}

/** `<dir>/.<name>.dg-<pid>-<random>.tmp` beside `destination`; creates the directory. */
export async function tempFileBeside(destination: string): Promise<TempFile> {
  const dir = dirname(destination);
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${tempStem(destination)}${process.pid}-${randomBytes(6).toString('hex')}.tmp`);
  const forget = undoOnInterrupt(() => unlinkSync(path));
  return {
    path,
    async commit() {
      await rename(path, destination);
      forget();
      await sweepStaleTemps(destination);
    },
    async discard() {
      forget();
      await removeQuietly(path);
    },
  };
}

function tempStem(destination: string): string {
  return `.${basename(destination)}.dg-`;
}

/**
 * Temp files of this destination left by interrupted runs: their process is gone (same
 * machine), or they are over a day old (another machine's, on a shared filesystem).
 */
async function sweepStaleTemps(destination: string): Promise<void> {
  const stem = tempStem(destination);
  const names = await readdir(dirname(destination)).catch(() => [] as string[]);
  for (const name of names) {
    const m = name.startsWith(stem) ? /^(\d+)-[0-9a-f]{12}\.tmp$/.exec(name.slice(stem.length)) : null;
    if (!m) continue;
    const path = join(dirname(destination), name);
    const st = await stat(path).catch(() => null);
    if (st && (!processAlive(Number(m[1])) || Date.now() - st.mtimeMs > STALE_MS)) await removeQuietly(path);
  }
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove a file if it exists; never throws (used on error paths). */
export async function removeQuietly(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

let scratchSwept = false;

/** A private scratch directory, removed with everything in it by the returned function. */
export async function scratchDir(baseDir: string): Promise<{ path: string; dispose: () => Promise<void> }> {
  await mkdir(baseDir, { recursive: true });
  if (!scratchSwept) {
    scratchSwept = true;
    await sweepStaleScratch(baseDir);
  }
  const path = await mkdtemp(join(baseDir, SCRATCH_PREFIX));
  const forget = undoOnInterrupt(() => rmSync(path, { recursive: true, force: true }));
  return {
    path,
    dispose: async () => {
      forget();
      await rm(path, { recursive: true, force: true });
    },
  };
}

/** Scratch directories of killed runs (once per process: it lists the temp dir). */
async function sweepStaleScratch(baseDir: string): Promise<void> {
  for (const name of await readdir(baseDir).catch(() => [] as string[])) {
    if (!name.startsWith(SCRATCH_PREFIX)) continue;
    const path = join(baseDir, name);
    const st = await stat(path).catch(() => null);
    if (st?.isDirectory() && Date.now() - st.mtimeMs > STALE_MS) await rm(path, { recursive: true, force: true }).catch(() => undefined);
  }
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
