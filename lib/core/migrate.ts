/**
 * migrate: copy everything under a source prefix into DeltaGlider storage at a destination,
 * INCLUDING objects that are already delta-stored at the source (they are rebuilt, verified,
 * then stored again against the destination's references; the Python tool silently skipped
 * them). Resumable: a key already present at the destination with the same SHA-256 is skipped,
 * so an interrupted run can simply be started again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DeltaGliderError } from '../errors';
import { forEachLimit } from './pool';
import type { DeltaServiceApi, LogicalObject, ServicePutResult } from './types';

export interface MigrateOptions {
  sourceBucket: string;
  /** '' or a prefix; a prefix without a trailing '/' is taken as a folder. */
  sourcePrefix: string;
  destBucket: string;
  destPrefix: string;
  /**
   * true (default): keep the source prefix's last folder, `s3://a/builds/x` -> `s3://b/<dest>/builds/x`;
   * false: `s3://b/<dest>/x`.
   */
  preservePrefix?: boolean;
  /** include/exclude on the key relative to the source prefix. */
  filter?: (relativeKey: string) => boolean;
  dryRun?: boolean;
  /** Objects in flight (default 4). */
  concurrency?: number;
  maxRatio?: number;
  tempDir?: string;
  /** Called once per object when its outcome is known (for progress lines). */
  onItem?: (item: MigrateItem) => void;
}

export type MigrateAction = 'migrated' | 'skipped' | 'would-migrate' | 'failed';

export interface MigrateItem {
  sourceKey: string;
  destKey: string;
  action: MigrateAction;
  originalSize: number;
  /** Bytes stored at the destination (migrated only). */
  storedSize?: number;
  storedAs?: ServicePutResult['storedAs'];
  /** Why it was skipped or failed. */
  detail?: string;
}

export interface MigrateSummary {
  total: number;
  migrated: number;
  skipped: number;
  failed: number;
  wouldMigrate: number;
  /** Original bytes of the migrated objects. */
  originalBytes: number;
  /** Bytes they take at the destination. */
  storedBytes: number;
  savedBytes: number;
  failures: { key: string; message: string }[];
}

export async function migrate(source: DeltaServiceApi, dest: DeltaServiceApi, options: MigrateOptions): Promise<MigrateSummary> {
  const sourcePrefix = folderPrefix(options.sourcePrefix);
  const destPrefix = folderPrefix(options.destPrefix);
  const mapKey = destKeyMapper(sourcePrefix, destPrefix, options.preservePrefix ?? true);
  if (options.sourceBucket === options.destBucket) refuseOverlap(options.sourceBucket, sourcePrefix, mapKey(''));

  const summary: MigrateSummary = {
    total: 0, migrated: 0, skipped: 0, failed: 0, wouldMigrate: 0, originalBytes: 0, storedBytes: 0, savedBytes: 0, failures: [],
  };
  const scratch = await mkdtemp(join(options.tempDir ?? tmpdir(), 'dg-migrate-'));
  let counter = 0;
  try {
    const objects = listLogical(source, options.sourceBucket, sourcePrefix, options.filter);
    await forEachLimit(objects, options.concurrency ?? 4, async (object) => {
      const destKey = mapKey(object.key.slice(sourcePrefix.length));
      let item: MigrateItem;
      try {
        item = await migrateOne(source, dest, options, object, destKey, join(scratch, `${counter++}`));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        item = { sourceKey: object.key, destKey, action: 'failed', originalSize: object.size, detail: message };
        summary.failures.push({ key: object.key, message });
      }
      tally(summary, item);
      options.onItem?.(item);
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  summary.savedBytes = summary.originalBytes - summary.storedBytes;
  return summary;
}

async function migrateOne(
  source: DeltaServiceApi,
  dest: DeltaServiceApi,
  options: MigrateOptions,
  object: LogicalObject,
  destKey: string,
  tempFile: string,
): Promise<MigrateItem> {
  const base = { sourceKey: object.key, destKey, originalSize: object.size };
  const existing = await dest.head(options.destBucket, destKey);
  if (existing?.sha256) {
    const sourceSha = object.sha256 ?? (await source.head(options.sourceBucket, object.key))?.sha256;
    if (sourceSha === existing.sha256) return { ...base, action: 'skipped', detail: 'already at the destination (same SHA-256)' };
  }
  if (options.dryRun) return { ...base, action: 'would-migrate' };

  try {
    // get() rebuilds deltas and checks the SHA-256 before the file appears.
    const got = await source.get(options.sourceBucket, object.key, tempFile);
    if (existing?.sha256 === got.sha256) return { ...base, action: 'skipped', detail: 'already at the destination (same SHA-256)' };
    const put = await dest.put(tempFile, options.destBucket, destKey, { maxRatio: options.maxRatio, contentType: object.contentType });
    return { ...base, originalSize: put.originalSize, action: 'migrated', storedSize: put.storedSize, storedAs: put.storedAs };
  } finally {
    await rm(tempFile, { force: true });
  }
}

function tally(summary: MigrateSummary, item: MigrateItem): void {
  summary.total++;
  if (item.action === 'migrated') {
    summary.migrated++;
    summary.originalBytes += item.originalSize;
    summary.storedBytes += item.storedSize ?? 0;
  } else if (item.action === 'skipped') summary.skipped++;
  else if (item.action === 'would-migrate') summary.wouldMigrate++;
  else summary.failed++;
}

async function* listLogical(
  service: DeltaServiceApi,
  bucket: string,
  prefix: string,
  filter: ((key: string) => boolean) | undefined,
): AsyncGenerator<LogicalObject> {
  let token: string | undefined;
  do {
    const page = await service.list(bucket, { prefix: prefix || undefined, continuationToken: token });
    for (const object of page.objects) {
      if (!filter || filter(object.key.slice(prefix.length))) yield object;
    }
    token = page.nextContinuationToken;
  } while (token);
}

/** '' stays ''; 'a/b' and 'a/b/' become 'a/b/'. */
export function folderPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

export function destKeyMapper(sourcePrefix: string, destPrefix: string, preservePrefix: boolean): (relativeKey: string) => string {
  const kept = preservePrefix && sourcePrefix !== '' ? `${sourcePrefix.slice(0, -1).split('/').pop()}/` : '';
  return (relative) => `${destPrefix}${kept}${relative}`;
}

function refuseOverlap(bucket: string, sourcePrefix: string, destRoot: string): void {
  if (destRoot.startsWith(sourcePrefix) || sourcePrefix.startsWith(destRoot)) {
    throw new DeltaGliderError(
      'ERR_DG_USAGE',
      `source s3://${bucket}/${sourcePrefix} and destination s3://${bucket}/${destRoot} overlap; migrate into a separate prefix or bucket`,
    );
  }
}
