/**
 * What `sync` has to do, decided from two listings and nothing else (no I/O here).
 *
 * Sizes are ORIGINAL sizes (a delta's `dg-file-size`, not the delta's own size), so a
 * delta-stored copy of an unchanged file compares equal. Timestamps follow `aws s3 sync`:
 * - upload (local -> S3): transfer when the local file is newer than the object;
 * - download (S3 -> local): transfer when the object is newer than the file (the file's mtime
 *   is set to the object's LastModified after a download, so a second run is a no-op);
 *   with exactTimestamps, whenever the two differ;
 * - copy (S3 -> S3): transfer when the source is newer (or differs, with exactTimestamps).
 * Times are compared at whole seconds because S3 keeps no finer resolution.
 */
import { deltaspaceOf } from './keys';

export type SyncDirection = 'upload' | 'download' | 'copy';

export interface SyncEntry {
  /** Path relative to the sync root, '/'-separated. */
  key: string;
  /** Original size in bytes. */
  size: number;
  lastModified: Date;
}

export interface SyncCompareOptions {
  direction: SyncDirection;
  /** Compare sizes only, never timestamps. */
  sizeOnly?: boolean;
  /** Transfer when timestamps differ at all, not only when the source is newer (download and copy). */
  exactTimestamps?: boolean;
}

export interface SyncPlanOptions extends SyncCompareOptions {
  /** Plan deleting destination entries that have no source entry. */
  deleteExtra?: boolean;
  /** include/exclude: false leaves an entry out on both sides (so it is never deleted either). */
  filter?: (key: string) => boolean;
}

export type TransferReason = 'missing' | 'size' | 'newer' | 'timestamp';

export interface SyncPlan<S extends SyncEntry, D extends SyncEntry> {
  transfers: { source: S; reason: TransferReason }[];
  deletes: D[];
  /** Source entries already up to date at the destination. */
  unchanged: number;
}

/** Why `source` must be transferred over `dest`, or null when the destination is up to date. */
export function transferReason(source: SyncEntry, dest: SyncEntry | undefined, options: SyncCompareOptions): TransferReason | null {
  if (!dest) return 'missing';
  if (source.size !== dest.size) return 'size';
  if (options.sizeOnly) return null;
  const src = wholeSeconds(source.lastModified);
  const dst = wholeSeconds(dest.lastModified);
  if (options.exactTimestamps && options.direction !== 'upload') return src !== dst ? 'timestamp' : null;
  return src > dst ? 'newer' : null;
}

export async function planSync<S extends SyncEntry, D extends SyncEntry>(
  sources: Iterable<S> | AsyncIterable<S>,
  destinations: Iterable<D> | AsyncIterable<D>,
  options: SyncPlanOptions,
): Promise<SyncPlan<S, D>> {
  const keep = options.filter ?? (() => true);
  const dest = new Map<string, D>();
  for await (const entry of destinations) if (keep(entry.key)) dest.set(entry.key, entry);

  const plan: SyncPlan<S, D> = { transfers: [], deletes: [], unchanged: 0 };
  const seen = new Set<string>();
  for await (const source of sources) {
    if (!keep(source.key)) continue;
    seen.add(source.key);
    const reason = transferReason(source, dest.get(source.key), options);
    if (reason) plan.transfers.push({ source, reason });
    else plan.unchanged++;
  }
  if (options.deleteExtra) {
    for (const [key, entry] of dest) if (!seen.has(key)) plan.deletes.push(entry);
  }
  return plan;
}

/**
 * Deletions grouped by deltaspace. Deleting a delta removes its deltaspace's reference.bin
 * once no other delta needs it; two deletions in one deltaspace running at the same time
 * could each see the other's delta and both keep a reference nobody needs. So: groups run
 * in parallel, each group one key at a time, and after the uploads (which may add new deltas
 * that need the reference).
 */
export function groupByDeltaspace<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const ds = deltaspaceOf(keyOf(item));
    const group = groups.get(ds);
    if (group) group.push(item);
    else groups.set(ds, [item]);
  }
  return [...groups.values()];
}

function wholeSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
