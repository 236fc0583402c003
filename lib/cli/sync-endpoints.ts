/**
 * The two sides of `sync` as lists of SyncEntry (relative key, ORIGINAL size, time): a local
 * directory tree, or the logical objects under an S3 prefix (a delta's size is its original
 * size, so it compares equal to the file it came from).
 */
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { DeltaGliderError } from '../errors';
import { mapLimit } from '../core/concurrency';
import type { SyncEntry } from '../core/sync-plan';
import type { DeltaServiceApi, LogicalObject } from '../core/types';
import { statOrNull, walkFiles } from './local-files';
import { listLogicalObjects } from './s3-listing';
import { directoryPrefix, formatS3Url, isS3Url, parseS3Url } from './s3-url';

export type SyncSide =
  | { kind: 'local'; root: string; display: string }
  | { kind: 's3'; bucket: string; prefix: string };

export interface LocalSyncEntry extends SyncEntry {
  path: string;
}

export interface S3SyncEntry extends SyncEntry {
  object: LogicalObject;
}

export type AnySyncEntry = LocalSyncEntry | S3SyncEntry;

export function parseSyncSide(value: string, cwd: string): SyncSide {
  if (isS3Url(value)) {
    const { bucket, key } = parseS3Url(value);
    return { kind: 's3', bucket, prefix: directoryPrefix(key) };
  }
  return { kind: 'local', root: resolve(cwd, value), display: value };
}

/** `s3://b/p/rel` or `<dir>/rel`, for output lines. */
export function describeEntry(side: SyncSide, relative: string): string {
  if (side.kind === 's3') return formatS3Url(side.bucket, side.prefix + relative);
  return join(side.display, ...relative.split('/'));
}

export function localPathOf(side: Extract<SyncSide, { kind: 'local' }>, relative: string): string {
  return join(side.root, ...relative.split('/'));
}

/** Every entry of a side. A missing local destination is simply empty; a missing source is an error. */
export async function listSide(side: SyncSide, service: DeltaServiceApi, role: 'source' | 'destination'): Promise<AnySyncEntry[]> {
  if (side.kind === 's3') {
    const entries: S3SyncEntry[] = [];
    for await (const object of listLogicalObjects(service, side.bucket, side.prefix)) {
      const key = object.key.slice(side.prefix.length);
      if (key === '' || key.endsWith('/')) continue; // folder markers
      entries.push({ key, size: object.size, lastModified: object.lastModified ?? new Date(0), object });
    }
    return entries;
  }
  const info = await statOrNull(side.root);
  if (!info) {
    if (role === 'destination') return [];
    throw new DeltaGliderError('ERR_DG_NOT_FOUND', `the source directory ${side.display} does not exist`);
  }
  if (!info.isDirectory()) throw new DeltaGliderError('ERR_DG_USAGE', `${side.display} is not a directory; sync works on directories`);
  const files = await walkFiles(side.root);
  // walkFiles gives sizes; sync also needs each file's mtime.
  return mapLimit(files, 16, async (file) => ({
    key: file.relative,
    size: file.size,
    lastModified: (await stat(file.path)).mtime,
    path: file.path,
  }));
}

