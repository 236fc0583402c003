import { parseUtcTimestamp } from '../../lib/core/metadata';
import { purgeExpired } from '../../lib/core/purge';
import { REHYDRATED_PREFIX, rehydrateForDownload } from '../../lib/core/rehydrate';
import { BUCKET, makeFixture, sha256, type Fixture } from '../helpers/core-fixture';
import { randomBytes, sparseEdits } from '../helpers/gen-data';

const T0 = new Date('2026-03-04T05:06:07.000Z');
const clockAt = (date: Date) => ({ now: () => date });

describe('rehydrate', () => {
  let f: Fixture;
  beforeEach(() => (f = makeFixture()));
  afterEach(() => f.cleanup());

  it('rebuilds a delta into .deltaglider/tmp/ with expiry metadata and the exact original bytes', async () => {
    const base = randomBytes(100_000, 3);
    const v2 = sparseEdits(base, 4000, 4);
    await f.service.put(f.file('a.zip', base), BUCKET, 'rel/a-1.zip');
    const put = await f.service.put(f.file('b.zip', v2), BUCKET, 'rel/a-2.zip');
    expect(put.storedAs).toBe('delta');

    const r = await rehydrateForDownload(f.storage, f.service, BUCKET, 'rel/a-2.zip', { expiresInSeconds: 600, clock: clockAt(T0) });
    expect(r.rehydrated).toBe(true);
    expect(r.key).toMatch(/^\.deltaglider\/tmp\/[0-9a-f]{32}_a-2\.zip$/);
    expect(r.fileName).toBe('a-2.zip');
    expect(r.expiresAt!.toISOString()).toBe('2026-03-04T05:16:07.000Z');
    const copy = f.storage.object(BUCKET, r.key)!;
    expect(sha256(copy.body)).toBe(sha256(v2));
    expect(copy.metadata).toMatchObject({
      'dg-expires-at': '2026-03-04T05:16:07.000Z',
      'dg-original-key': 'rel/a-2.zip',
      'dg-original-filename': 'a-2.zip',
      'dg-rehydrated': 'true',
      'dg-created-at': T0.toISOString(),
    });
  });

  it('hands out a copy left by an earlier call while it outlives the new URL, else writes it again', async () => {
    const base = randomBytes(100_000, 5);
    const v2 = sparseEdits(base, 4000, 6);
    await f.service.put(f.file('a.zip', base), BUCKET, 'rel/a-1.zip');
    await f.service.put(f.file('b.zip', v2), BUCKET, 'rel/a-2.zip');
    const first = await rehydrateForDownload(f.storage, f.service, BUCKET, 'rel/a-2.zip', { expiresInSeconds: 3600, clock: clockAt(T0) });
    expect(first.reused).toBeUndefined();
    expect(first.key).toBe(`${REHYDRATED_PREFIX}${sha256(v2).slice(0, 32)}_a-2.zip`);
    const copy = f.storage.object(BUCKET, first.key)!;
    expect(copy.metadata['dg-file-sha256']).toBe(sha256(v2));

    // Ten minutes later, a 10-minute URL: the copy (50 more minutes) is reused as it is.
    const later = new Date(T0.getTime() + 600_000);
    const again = await rehydrateForDownload(f.storage, f.service, BUCKET, 'rel/a-2.zip', { expiresInSeconds: 600, clock: clockAt(later) });
    expect(again).toMatchObject({ key: first.key, reused: true, rehydrated: true });
    expect(again.expiresAt!.toISOString()).toBe(first.expiresAt!.toISOString());
    expect(f.storage.object(BUCKET, first.key)!.metadata['dg-created-at']).toBe(T0.toISOString());

    // A 2-hour URL would outlive it: written again with the later expiry.
    const longer = await rehydrateForDownload(f.storage, f.service, BUCKET, 'rel/a-2.zip', { expiresInSeconds: 7200, clock: clockAt(later) });
    expect(longer.reused).toBeUndefined();
    expect(f.storage.object(BUCKET, first.key)!.metadata['dg-expires-at']).toBe(new Date(later.getTime() + 7_200_000).toISOString());

    // A copy whose bytes do not match the object's is never handed out.
    f.storage.object(BUCKET, first.key)!.metadata['dg-file-sha256'] = 'f'.repeat(64);
    const checked = await rehydrateForDownload(f.storage, f.service, BUCKET, 'rel/a-2.zip', { expiresInSeconds: 60, clock: clockAt(later) });
    expect(checked.reused).toBeUndefined();
    expect(sha256(f.storage.object(BUCKET, first.key)!.body)).toBe(sha256(v2));
    expect(f.storage.keys(BUCKET).filter((k) => k.startsWith(REHYDRATED_PREFIX))).toHaveLength(1);
  });

  it('hands back a direct object as it is, and refuses a missing key or a bad expiry', async () => {
    await f.service.put(f.file('n.txt', Buffer.from('plain text')), BUCKET, 'docs/n.txt');
    const r = await rehydrateForDownload(f.storage, f.service, BUCKET, 'docs/n.txt', { expiresInSeconds: 60 });
    expect(r).toMatchObject({ rehydrated: false, key: 'docs/n.txt', fileName: 'n.txt' });
    expect(f.storage.keys(BUCKET).some((k) => k.startsWith(REHYDRATED_PREFIX))).toBe(false);
    await expect(rehydrateForDownload(f.storage, f.service, BUCKET, 'nope', { expiresInSeconds: 60 })).rejects.toMatchObject({
      code: 'ERR_DG_NOT_FOUND',
    });
    await expect(rehydrateForDownload(f.storage, f.service, BUCKET, 'docs/n.txt', { expiresInSeconds: 0 })).rejects.toMatchObject({
      code: 'ERR_DG_INVALID_ARGUMENT',
    });
  });
});

describe('purge', () => {
  let f: Fixture;
  // A zone far from UTC: reading naive UTC as local time (the Python tool's bug) would show.
  const savedTz = process.env.TZ;
  beforeAll(() => (process.env.TZ = 'Pacific/Honolulu'));
  afterAll(() => (savedTz === undefined ? delete process.env.TZ : (process.env.TZ = savedTz)));
  beforeEach(() => (f = makeFixture()));
  afterEach(() => f.cleanup());

  const copy = (name: string, expiresAt?: string) =>
    f.storage.setObject(BUCKET, `${REHYDRATED_PREFIX}${'ab'.repeat(16)}_${name}`, Buffer.from(name), {
      'dg-rehydrated': 'true',
      ...(expiresAt !== undefined ? { 'dg-expires-at': expiresAt } : {}),
    });

  it('deletes expired copies only, comparing instants in UTC (naive timestamps are UTC)', async () => {
    copy('old.zip', '2026-03-04T04:00:00Z');
    copy('naive-old.zip', '2026-03-04T05:06:06'); // one second before T0, no zone: Python's format
    copy('fresh.zip', '2026-03-04T06:00:00Z');
    copy('naive-fresh.zip', '2026-03-04T05:06:08.500000'); // just after T0
    copy('offset.zip', '2026-03-04T06:00:00+02:00'); // 04:00Z: expired
    copy('weird.zip', 'tomorrow');
    copy('bare.zip');
    f.storage.setObject(BUCKET, 'rel/keep.zip', Buffer.from('not a temp file'));

    const r = await purgeExpired(f.storage, BUCKET, { clock: clockAt(T0) });
    expect(r.examined).toBe(7);
    expect(r.deleted.map((k) => k.replace(/^.*_/, '')).sort()).toEqual(['naive-old.zip', 'offset.zip', 'old.zip']);
    expect(r.kept).toBe(2);
    expect(r.skipped.map((s) => s.key.replace(/^.*_/, '')).sort()).toEqual(['bare.zip', 'weird.zip']);
    expect(r.errors).toEqual([]);
    const left = f.storage.keys(BUCKET).map((k) => k.replace(/^.*_/, ''));
    expect(left.sort()).toEqual(['bare.zip', 'fresh.zip', 'naive-fresh.zip', 'rel/keep.zip', 'weird.zip'].sort());
  });

  it('dry run deletes nothing', async () => {
    copy('old.zip', '2026-03-04T04:00:00Z');
    const r = await purgeExpired(f.storage, BUCKET, { clock: clockAt(T0), dryRun: true });
    expect(r.expired).toHaveLength(1);
    expect(r.deleted).toEqual([]);
    expect(f.storage.keys(BUCKET)).toHaveLength(1);
  });

  it('reports failed deletions', async () => {
    copy('old.zip', '2026-03-04T04:00:00Z');
    f.storage.hook = (op) => {
      if (op === 'deleteMany' || op === 'delete') throw new Error('denied');
    };
    const r = await purgeExpired(f.storage, BUCKET, { clock: clockAt(T0) });
    expect(r.deleted).toEqual([]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].message).toContain('denied');
  });

  it('parses timestamps of both tools as UTC', () => {
    expect(parseUtcTimestamp('2026-01-02T03:04:05')!.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(parseUtcTimestamp('2026-01-02 03:04:05')!.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(parseUtcTimestamp('2026-01-02T03:04:05Z')!.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(parseUtcTimestamp('2026-01-02T03:04:05-01:00')!.toISOString()).toBe('2026-01-02T04:04:05.000Z');
    expect(parseUtcTimestamp('garbage')).toBeNull();
    expect(parseUtcTimestamp(undefined)).toBeNull();
  });
});
