import { computeBucketStats, statsCacheKey } from '../../lib/core/stats';
import { BUCKET, makeFixture, type Fixture } from '../helpers/core-fixture';
import { randomBytes, sparseEdits } from '../helpers/gen-data';

/** A bucket with two deltaspaces of similar builds and one direct text file. */
async function populate(f: Fixture): Promise<{ originals: number }> {
  const base = randomBytes(200_000, 1);
  let originals = 0;
  for (const [ds, n] of [['app/v1', 3], ['lib/v2', 2]] as const) {
    for (let i = 0; i < n; i++) {
      const bytes = i === 0 ? base : sparseEdits(base, 5000, 10 + i);
      originals += bytes.length;
      await f.service.put(f.file(`${ds.replace('/', '-')}-${i}.zip`, bytes), BUCKET, `${ds}/build-${i}.zip`);
    }
  }
  const readme = Buffer.from('hello readme\n');
  originals += readme.length;
  await f.service.put(f.file('README.txt', readme), BUCKET, 'README.txt');
  return { originals };
}

describe('bucket stats', () => {
  let f: Fixture;
  beforeEach(() => (f = makeFixture()));
  afterEach(() => f.cleanup());

  it('detailed mode is exact: original sizes from metadata, stored size from the listing', async () => {
    const { originals } = await populate(f);
    const stored = f.storage.keys(BUCKET).reduce((sum, k) => sum + f.storage.object(BUCKET, k)!.body.length, 0);
    const { stats, fromCache, cacheWritten } = await computeBucketStats(f.storage, BUCKET, { mode: 'detailed' });
    expect(fromCache).toBe(false);
    expect(cacheWritten).toBe(true);
    expect(stats.objectCount).toBe(6);
    expect(stats.deltaCount).toBe(5);
    expect(stats.directCount).toBe(1);
    expect(stats.referenceCount).toBe(2);
    expect(stats.originalSize).toBe(originals);
    expect(stats.storedSize).toBe(stored);
    expect(stats.spaceSaved).toBe(originals - stored);
    expect(stats.estimated).toBe(false);
    expect(stats.headRequests).toBe(5);
    expect(stats.storedSize).toBeLessThan(stats.originalSize / 2);
  });

  it('quick mode makes no HEAD requests and says it estimated', async () => {
    await populate(f);
    f.storage.calls.length = 0;
    const { stats } = await computeBucketStats(f.storage, BUCKET, { mode: 'quick', useCache: false });
    expect(f.storage.calls.filter((c) => c.startsWith('head'))).toEqual([]);
    expect(stats.estimated).toBe(true);
    expect(stats.objectCount).toBe(6);
    // Each delta is estimated at its reference's size: 5 * 200000 + readme.
    expect(stats.originalSize).toBe(5 * 200_000 + 13);
  });

  it('sampled mode makes one HEAD per deltaspace', async () => {
    await populate(f);
    f.storage.calls.length = 0;
    const { stats } = await computeBucketStats(f.storage, BUCKET, { mode: 'sampled', useCache: false });
    expect(f.storage.calls.filter((c) => c.startsWith('head'))).toHaveLength(2);
    expect(stats.headRequests).toBe(2);
  });

  it('writes the cache object, reuses it while valid, recomputes when the bucket changed or on refresh', async () => {
    await populate(f);
    await computeBucketStats(f.storage, BUCKET, { mode: 'detailed' });
    const doc = JSON.parse(f.storage.object(BUCKET, statsCacheKey('detailed'))!.body.toString());
    expect(doc.version).toBe('1.0');
    expect(doc.mode).toBe('detailed');
    expect(typeof doc.computed_at).toBe('string');
    expect(doc.validation.object_count).toBe(8); // 5 deltas + 2 references + 1 direct
    expect(doc.stats.delta_objects).toBe(5);

    f.storage.calls.length = 0;
    const second = await computeBucketStats(f.storage, BUCKET, { mode: 'detailed' });
    expect(second.fromCache).toBe(true);
    expect(f.storage.calls.filter((c) => c.startsWith('head'))).toEqual([]);

    const refreshed = await computeBucketStats(f.storage, BUCKET, { mode: 'detailed', refresh: true });
    expect(refreshed.fromCache).toBe(false);
    expect(refreshed.stats.originalSize).toBe(second.stats.originalSize);

    await f.service.put(f.file('new.txt', Buffer.from('another file')), BUCKET, 'new.txt');
    const stale = await computeBucketStats(f.storage, BUCKET, { mode: 'detailed' });
    expect(stale.fromCache).toBe(false);
    expect(stale.stats.objectCount).toBe(7);
  });

  it('ignores a cache document that is malformed or from another mode', async () => {
    await populate(f);
    f.storage.setObject(BUCKET, statsCacheKey('detailed'), Buffer.from('{"version":"1.0","mode":"detailed"'));
    expect((await computeBucketStats(f.storage, BUCKET, { mode: 'detailed' })).fromCache).toBe(false);
    const quick = await computeBucketStats(f.storage, BUCKET, { mode: 'quick' });
    expect(quick.fromCache).toBe(false);
  });

  it('reports a capped listing and does not cache it', async () => {
    await populate(f);
    const { stats, cacheWritten } = await computeBucketStats(f.storage, BUCKET, { mode: 'quick', maxObjects: 3 });
    expect(stats.listingCapped).toBe(true);
    expect(cacheWritten).toBe(false);
  });

  it('keeps working when the cache cannot be written', async () => {
    await populate(f);
    f.storage.hook = (op, _b, key) => {
      if (op === 'put' && key.startsWith('.deltaglider/')) throw new Error('read-only');
    };
    const result = await computeBucketStats(f.storage, BUCKET, { mode: 'quick' });
    expect(result.cacheWritten).toBe(false);
    expect(result.stats.objectCount).toBe(6);
  });

  it('detailed mode keeps at least 8 HEADs in flight', async () => {
    const base = randomBytes(20_000, 5);
    for (let i = 0; i < 20; i++) {
      await f.service.put(f.file(`x${i}.bin`, i === 0 ? base : sparseEdits(base, 2000, 100 + i)), BUCKET, `many/x${i}.bin`);
    }
    let inFlight = 0;
    let peak = 0;
    f.storage.hook = async (op) => {
      if (op !== 'head') return;
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
    };
    const { stats } = await computeBucketStats(f.storage, BUCKET, { mode: 'detailed', useCache: false });
    expect(stats.headRequests).toBe(20);
    expect(peak).toBeGreaterThanOrEqual(8);
  });

  it('an empty bucket has zero everything', async () => {
    const { stats } = await computeBucketStats(f.storage, BUCKET, { mode: 'detailed' });
    expect(stats).toMatchObject({ objectCount: 0, originalSize: 0, storedSize: 0, ratio: 0, savingsPercent: 0 });
  });
});
