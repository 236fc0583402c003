/**
 * purge: delete the rehydrated copies (`.deltaglider/tmp/`) whose `dg-expires-at` has passed.
 * Expiry times are compared as UTC instants (naive timestamps written by the Python tool
 * are UTC, not local time); a copy without a readable expiry is reported and kept, and
 * failed deletions are reported so the CLI can exit non-zero.
 */
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { StoragePort } from '../ports/storage';
import { listAll } from '../ports/storage';
import { forEachLimit } from './pool';
import { parseUtcTimestamp } from './metadata';
import { REHYDRATED_PREFIX } from './rehydrate';

export interface PurgeOptions {
  clock?: Clock;
  /** Report what would be deleted, delete nothing. */
  dryRun?: boolean;
  /** HEADs in flight (default 8). */
  concurrency?: number;
}

export interface PurgeResult {
  bucket: string;
  /** Rehydrated copies looked at. */
  examined: number;
  /** Expired copies (deleted unless dryRun). */
  expired: { key: string; expiresAt: string }[];
  /** Keys actually deleted. */
  deleted: string[];
  /** Copies still valid. */
  kept: number;
  /** Copies left alone because their expiry could not be read. */
  skipped: { key: string; reason: string }[];
  errors: { key: string; message: string }[];
  dryRun: boolean;
}

const DELETE_BATCH = 1000;

export async function purgeExpired(storage: StoragePort, bucket: string, options: PurgeOptions = {}): Promise<PurgeResult> {
  const now = (options.clock ?? systemClock).now().getTime();
  const result: PurgeResult = {
    bucket, examined: 0, expired: [], deleted: [], kept: 0, skipped: [], errors: [], dryRun: Boolean(options.dryRun),
  };
  await forEachLimit(listAll(storage, bucket, { prefix: REHYDRATED_PREFIX }), options.concurrency ?? 8, async (object) => {
    result.examined++;
    const head = await storage.head(bucket, object.key);
    if (!head) return; // deleted meanwhile
    const raw = head.metadata['dg-expires-at'] ?? head.metadata['dg_expires_at'] ?? head.metadata['expires_at'];
    const expiresAt = parseUtcTimestamp(raw);
    if (!expiresAt) {
      result.skipped.push({ key: object.key, reason: raw === undefined ? 'no dg-expires-at metadata' : `unreadable dg-expires-at "${raw}"` });
    } else if (expiresAt.getTime() <= now) {
      result.expired.push({ key: object.key, expiresAt: expiresAt.toISOString() });
    } else {
      result.kept++;
    }
  });
  result.expired.sort((a, b) => a.key.localeCompare(b.key));
  if (result.dryRun) return result;

  const keys = result.expired.map((e) => e.key);
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const batch = keys.slice(i, i + DELETE_BATCH);
    try {
      const outcome = await storage.deleteMany(bucket, batch);
      result.deleted.push(...outcome.deleted);
      for (const e of outcome.errors) result.errors.push({ key: e.key, message: `${e.code}: ${e.message}` });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      for (const key of batch) result.errors.push({ key, message });
    }
  }
  return result;
}

