/**
 * Bucket statistics: how much DeltaGlider saves in a bucket.
 *
 * Modes trade accuracy for requests:
 * - quick: the listing only. A delta's original size is not in a listing, so it is estimated
 *   as the size of its deltaspace's reference (versions of one artifact are similar in size).
 * - sampled: one HEAD per deltaspace; that delta's `dg-file-size` stands for its siblings.
 * - detailed: a HEAD of every delta (>= 8 in flight), exact.
 *
 * Results are cached in `.deltaglider/stats_<mode>.json`. A cached result is used only while
 * the bucket's object count and stored size (from a fresh listing, which is cheap next to the
 * HEADs) still match what the cache recorded. Memory is bounded by the number of deltaspaces,
 * never by the number of objects.
 */
import { DeltaGliderError } from '../errors';
import type { Clock } from '../ports/clock';
import { systemClock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import { nullLogger } from '../ports/logger';
import type { ObjectSummary, StoragePort } from '../ports/storage';
import { INTERNAL_PREFIX, deltaspaceOf, deltaspaceOfReference, hasDeltaSuffix, isInternalKey, isReferenceKey } from './keys';
import { FIELD, readField } from './metadata';
import { forEachLimit } from './pool';

export type StatsMode = 'quick' | 'sampled' | 'detailed';
export const STATS_MODES: readonly StatsMode[] = ['quick', 'sampled', 'detailed'];
export const STATS_CACHE_VERSION = '1.0';

export interface BucketStats {
  bucket: string;
  mode: StatsMode;
  /** Logical objects (deltas + direct); references and internal objects are not counted. */
  objectCount: number;
  deltaCount: number;
  directCount: number;
  referenceCount: number;
  /** Sum of the original sizes (what downloads produce). */
  originalSize: number;
  /** Bytes actually stored: deltas, references and direct objects. */
  storedSize: number;
  /** originalSize - storedSize (negative when references cost more than deltas save). */
  spaceSaved: number;
  /** storedSize / originalSize (0 for an empty bucket). */
  ratio: number;
  /** spaceSaved / originalSize * 100. */
  savingsPercent: number;
  /** True when some original sizes were estimated (quick, sampled, or a delta without dg-file-size). */
  estimated: boolean;
  /** True when the listing stopped at maxObjects: the numbers cover only part of the bucket. */
  listingCapped: boolean;
  /** HEAD requests this computation made. */
  headRequests: number;
  /**
   * Detailed mode: deltas per kind of body, from their dg-delta-format (`vcdiff`: what the
   * Python DeltaGlider and xdelta3 read; `dgd`: DeltaGlider's own archive/binary deltas).
   */
  deltaFormats?: Record<string, number>;
  /** ISO-8601 UTC time of the computation. */
  computedAt: string;
}

export interface StatsOptions {
  mode?: StatsMode;
  /** Read and write the cache object (default true). */
  useCache?: boolean;
  /** Ignore a valid cache and recompute (the result is still written when useCache). */
  refresh?: boolean;
  /** Stop listing after this many stored objects; the result says listingCapped. */
  maxObjects?: number;
  /** HEADs in flight (default 8). */
  concurrency?: number;
  clock?: Clock;
  logger?: Logger;
}

export interface StatsResult {
  stats: BucketStats;
  /** True when the stats came from a valid cache object. */
  fromCache: boolean;
  /** True when this call wrote the cache object. */
  cacheWritten: boolean;
}

/** What the listing says, used to validate the cache. */
interface Validation {
  object_count: number;
  compressed_size: number;
}

interface DeltaspaceTally {
  referenceSize?: number;
  deltaCount: number;
  deltaStored: number;
  /** One delta key, for sampled mode. */
  sampleKey?: string;
}

interface ListingTally {
  validation: Validation;
  directCount: number;
  directSize: number;
  referenceCount: number;
  deltaspaces: Map<string, DeltaspaceTally>;
  capped: boolean;
}

export function statsCacheKey(mode: StatsMode): string {
  return `${INTERNAL_PREFIX}stats_${mode}.json`;
}

export async function computeBucketStats(storage: StoragePort, bucket: string, options: StatsOptions = {}): Promise<StatsResult> {
  const mode = options.mode ?? 'quick';
  if (!STATS_MODES.includes(mode)) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `unknown stats mode "${mode}" (use quick, sampled or detailed)`);
  }
  const useCache = options.useCache ?? true;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? nullLogger;
  const concurrency = options.concurrency ?? 8;

  const tally = await tallyListing(storage, bucket, options.maxObjects);

  if (useCache && !options.refresh && !tally.capped) {
    const cached = await readCache(storage, bucket, mode, tally.validation, logger);
    if (cached) return { stats: cached, fromCache: true, cacheWritten: false };
  }

  let originalDeltaSize = 0;
  let estimated = false;
  let headRequests = 0;
  let deltaFormats: Record<string, number> | undefined;
  if (mode === 'quick') {
    for (const ds of tally.deltaspaces.values()) {
      if (ds.deltaCount === 0) continue;
      estimated = true;
      // Without a reference (unusual) the delta sizes are the only lower bound we have.
      originalDeltaSize += ds.referenceSize !== undefined ? ds.deltaCount * ds.referenceSize : ds.deltaStored;
    }
  } else if (mode === 'sampled') {
    const sampled = [...tally.deltaspaces.values()].filter((ds) => ds.deltaCount > 0);
    await forEachLimit(sampled, concurrency, async (ds) => {
      headRequests++;
      const size = await originalSizeOf(storage, bucket, ds.sampleKey!);
      if (ds.deltaCount > 1 || size === undefined) estimated = true;
      const each = size ?? ds.referenceSize ?? ds.deltaStored / ds.deltaCount;
      originalDeltaSize += ds.deltaCount * each;
    });
  } else {
    const exact = await sumDeltaOriginalSizes(storage, bucket, tally, concurrency, options.maxObjects);
    originalDeltaSize = exact.total;
    headRequests = exact.heads;
    estimated = exact.estimated;
    deltaFormats = exact.formats;
  }

  const deltaCount = sum(tally.deltaspaces, (ds) => ds.deltaCount);
  const originalSize = Math.round(tally.directSize + originalDeltaSize);
  const storedSize = tally.validation.compressed_size;
  const spaceSaved = originalSize - storedSize;
  const stats: BucketStats = {
    bucket,
    mode,
    objectCount: deltaCount + tally.directCount,
    deltaCount,
    directCount: tally.directCount,
    referenceCount: tally.referenceCount,
    originalSize,
    storedSize,
    spaceSaved,
    ratio: originalSize > 0 ? storedSize / originalSize : 0,
    savingsPercent: originalSize > 0 ? (spaceSaved / originalSize) * 100 : 0,
    estimated,
    listingCapped: tally.capped,
    headRequests,
    ...(deltaFormats ? { deltaFormats } : {}),
    computedAt: clock.now().toISOString(),
  };

  let cacheWritten = false;
  if (useCache && !tally.capped) cacheWritten = await writeCache(storage, bucket, stats, tally.validation, logger);
  return { stats, fromCache: false, cacheWritten };
}

async function tallyListing(storage: StoragePort, bucket: string, maxObjects: number | undefined): Promise<ListingTally> {
  const tally: ListingTally = {
    validation: { object_count: 0, compressed_size: 0 },
    directCount: 0,
    directSize: 0,
    referenceCount: 0,
    deltaspaces: new Map(),
    capped: false,
  };
  for await (const object of listStored(storage, bucket)) {
    if (maxObjects !== undefined && tally.validation.object_count >= maxObjects) {
      tally.capped = true;
      break;
    }
    tally.validation.object_count++;
    tally.validation.compressed_size += object.size;
    if (isReferenceKey(object.key)) {
      tally.referenceCount++;
      deltaspace(tally, deltaspaceOfReference(object.key)).referenceSize = object.size;
    } else if (hasDeltaSuffix(object.key)) {
      const ds = deltaspace(tally, deltaspaceOf(object.key));
      ds.deltaCount++;
      ds.deltaStored += object.size;
      ds.sampleKey ??= object.key;
    } else {
      tally.directCount++;
      tally.directSize += object.size;
    }
  }
  return tally;
}

/** Every stored object that is not internal (the cache itself must not invalidate the cache). */
async function* listStored(storage: StoragePort, bucket: string): AsyncGenerator<ObjectSummary> {
  let token: string | undefined;
  do {
    const page = await storage.list(bucket, { continuationToken: token, maxKeys: 1000 });
    for (const object of page.objects) if (!isInternalKey(object.key)) yield object;
    token = page.nextContinuationToken;
  } while (token);
}

function deltaspace(tally: ListingTally, name: string): DeltaspaceTally {
  let ds = tally.deltaspaces.get(name);
  if (!ds) {
    ds = { deltaCount: 0, deltaStored: 0 };
    tally.deltaspaces.set(name, ds);
  }
  return ds;
}

async function originalSizeOf(storage: StoragePort, bucket: string, key: string): Promise<number | undefined> {
  return (await describeDelta(storage, bucket, key)).size;
}

/** A delta's original size (when its metadata has a valid one) and its kind of body. */
async function describeDelta(storage: StoragePort, bucket: string, key: string): Promise<{ size?: number; format: string }> {
  const head = await storage.head(bucket, key);
  const raw = head ? readField(head.metadata, FIELD.fileSize) : undefined;
  const size = raw === undefined ? NaN : Number(raw);
  const format = (head ? readField(head.metadata, FIELD.deltaFormat)?.toLowerCase() : undefined) ?? 'vcdiff';
  return { size: Number.isSafeInteger(size) && size >= 0 ? size : undefined, format };
}

/** Detailed mode: a second pass over the listing, HEADing every delta with a bounded pool. */
async function sumDeltaOriginalSizes(
  storage: StoragePort,
  bucket: string,
  tally: ListingTally,
  concurrency: number,
  maxObjects: number | undefined,
): Promise<{ total: number; heads: number; estimated: boolean; formats: Record<string, number> }> {
  let total = 0;
  let heads = 0;
  let estimated = false;
  const formats: Record<string, number> = {};
  let seen = 0;
  async function* deltas(): AsyncGenerator<ObjectSummary> {
    for await (const object of listStored(storage, bucket)) {
      if (maxObjects !== undefined && seen++ >= maxObjects) return;
      if (hasDeltaSuffix(object.key)) yield object;
    }
  }
  await forEachLimit(deltas(), Math.max(concurrency, 8), async (object) => {
    heads++;
    const { size, format } = await describeDelta(storage, bucket, object.key);
    formats[format] = (formats[format] ?? 0) + 1;
    if (size !== undefined) {
      total += size;
      return;
    }
    // Bad or missing metadata: fall back to the reference's size and say it is an estimate.
    estimated = true;
    total += tally.deltaspaces.get(deltaspaceOf(object.key))?.referenceSize ?? object.size;
  });
  return { total, heads, estimated, formats };
}

function sum<K, V>(map: Map<K, V>, f: (v: V) => number): number {
  let total = 0;
  for (const v of map.values()) total += f(v);
  return total;
}

// ---- cache object ----------------------------------------------------------------------

/** The cache document, in the layout the Python tool defines (snake_case). */
interface StatsCacheDocument {
  version: string;
  mode: StatsMode;
  computed_at: string;
  validation: Validation;
  stats: {
    bucket: string;
    object_count: number;
    total_size: number;
    compressed_size: number;
    space_saved: number;
    average_compression_ratio: number;
    delta_objects: number;
    direct_objects: number;
    reference_objects: number;
    estimated: boolean;
    head_requests: number;
    /** Ours (the Python tool ignores it): deltas per dg-delta-format, detailed mode only. */
    delta_formats?: Record<string, number>;
  };
}

async function writeCache(storage: StoragePort, bucket: string, stats: BucketStats, validation: Validation, logger: Logger): Promise<boolean> {
  const doc: StatsCacheDocument = {
    version: STATS_CACHE_VERSION,
    mode: stats.mode,
    computed_at: stats.computedAt,
    validation,
    stats: {
      bucket,
      object_count: stats.objectCount,
      total_size: stats.originalSize,
      compressed_size: stats.storedSize,
      space_saved: stats.spaceSaved,
      average_compression_ratio: stats.originalSize > 0 ? stats.spaceSaved / stats.originalSize : 0,
      delta_objects: stats.deltaCount,
      direct_objects: stats.directCount,
      reference_objects: stats.referenceCount,
      estimated: stats.estimated,
      head_requests: stats.headRequests,
      ...(stats.deltaFormats ? { delta_formats: stats.deltaFormats } : {}),
    },
  };
  try {
    await storage.put(bucket, statsCacheKey(stats.mode), { buffer: Buffer.from(JSON.stringify(doc, null, 2)) }, { contentType: 'application/json' });
    return true;
  } catch (err) {
    // A read-only user can still see statistics; only the cache is lost.
    logger.warn('could not write the stats cache', { bucket, error: err instanceof Error ? err.message : String(err) });
    return false;
  }
}

async function readCache(storage: StoragePort, bucket: string, mode: StatsMode, current: Validation, logger: Logger): Promise<BucketStats | null> {
  let text: string;
  try {
    const { body } = await storage.get(bucket, statsCacheKey(mode));
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(Buffer.from(chunk));
    text = Buffer.concat(chunks).toString('utf8');
  } catch (err) {
    if (!(err instanceof DeltaGliderError && err.code === 'ERR_DG_NOT_FOUND')) {
      logger.debug('stats cache unreadable', { bucket, error: err instanceof Error ? err.message : String(err) });
    }
    return null;
  }
  const doc = parseCache(text);
  if (!doc || doc.mode !== mode) return null;
  if (doc.validation.object_count !== current.object_count || doc.validation.compressed_size !== current.compressed_size) {
    logger.debug('stats cache is stale', { bucket, cached: doc.validation, current });
    return null;
  }
  const s = doc.stats;
  return {
    bucket,
    mode,
    objectCount: s.object_count,
    deltaCount: s.delta_objects,
    directCount: s.direct_objects,
    referenceCount: s.reference_objects ?? 0,
    originalSize: s.total_size,
    storedSize: s.compressed_size,
    spaceSaved: s.space_saved,
    ratio: s.total_size > 0 ? s.compressed_size / s.total_size : 0,
    savingsPercent: s.total_size > 0 ? (s.space_saved / s.total_size) * 100 : 0,
    estimated: s.estimated ?? mode !== 'detailed',
    listingCapped: false,
    headRequests: 0,
    ...(isFormatCounts(s.delta_formats) ? { deltaFormats: s.delta_formats } : {}),
    computedAt: doc.computed_at,
  };
}

function isFormatCounts(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && Object.values(value).every((n) => Number.isSafeInteger(n) && (n as number) >= 0);
}

/** A cache written by anyone (us, the Python tool, a user) is untrusted input: check its shape. */
function parseCache(text: string): StatsCacheDocument | null {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return null;
  }
  const d = doc as Partial<StatsCacheDocument>;
  const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n >= 0;
  if (typeof d !== 'object' || d === null || d.version !== STATS_CACHE_VERSION) return null;
  if (!d.validation || !isCount(d.validation.object_count) || !isCount(d.validation.compressed_size)) return null;
  const s = d.stats;
  if (!s || !isCount(s.object_count) || !isCount(s.total_size) || !isCount(s.compressed_size)) return null;
  if (!isCount(s.delta_objects) || !isCount(s.direct_objects) || typeof s.space_saved !== 'number') return null;
  if (typeof d.computed_at !== 'string') return null;
  return d as StatsCacheDocument;
}
