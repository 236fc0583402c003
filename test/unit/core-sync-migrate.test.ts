import { migrate, destKeyMapper, folderPrefix } from '../../lib/core/migrate';
import { groupByDeltaspace, planSync, transferReason, type SyncEntry } from '../../lib/core/sync-plan';
import { BUCKET, layout, makeFixture, sha256, type Fixture } from '../helpers/core-fixture';
import { randomBytes, sparseEdits } from '../helpers/gen-data';

const at = (s: string) => new Date(s);
const entry = (key: string, size: number, time: string): SyncEntry => ({ key, size, lastModified: at(time) });

describe('sync plan', () => {
  it('uploads when missing, when sizes differ, or when the local file is newer', () => {
    const o = { direction: 'upload' as const };
    expect(transferReason(entry('a', 1, '2026-01-01T00:00:00Z'), undefined, o)).toBe('missing');
    expect(transferReason(entry('a', 1, '2026-01-01T00:00:00Z'), entry('a', 2, '2026-01-02T00:00:00Z'), o)).toBe('size');
    expect(transferReason(entry('a', 1, '2026-01-03T00:00:00Z'), entry('a', 1, '2026-01-02T00:00:00Z'), o)).toBe('newer');
    expect(transferReason(entry('a', 1, '2026-01-01T00:00:00Z'), entry('a', 1, '2026-01-02T00:00:00Z'), o)).toBeNull();
    // sub-second differences do not count: S3 keeps whole seconds
    expect(transferReason(entry('a', 1, '2026-01-02T00:00:00.900Z'), entry('a', 1, '2026-01-02T00:00:00Z'), o)).toBeNull();
    // exact timestamps only matter for downloads and copies, as in aws s3 sync
    expect(transferReason(entry('a', 1, '2026-01-01T00:00:00Z'), entry('a', 1, '2026-01-02T00:00:00Z'), { ...o, exactTimestamps: true })).toBeNull();
  });

  it('size-only ignores timestamps; exact-timestamps downloads on any difference', () => {
    const older = entry('a', 5, '2026-01-01T00:00:00Z');
    const newer = entry('a', 5, '2026-01-05T00:00:00Z');
    expect(transferReason(newer, older, { direction: 'download', sizeOnly: true })).toBeNull();
    expect(transferReason(older, newer, { direction: 'download' })).toBeNull();
    expect(transferReason(older, newer, { direction: 'download', exactTimestamps: true })).toBe('timestamp');
    expect(transferReason(newer, older, { direction: 'copy' })).toBe('newer');
  });

  it('plans deletions of extra destination entries, respecting filters on both sides', async () => {
    const src = [entry('a.zip', 1, '2026-01-01T00:00:00Z'), entry('b.log', 1, '2026-01-01T00:00:00Z')];
    const dst = [entry('a.zip', 1, '2026-01-02T00:00:00Z'), entry('old.zip', 1, '2026-01-02T00:00:00Z'), entry('x.log', 1, '2026-01-02T00:00:00Z')];
    const plan = await planSync(src, dst, { direction: 'upload', deleteExtra: true, filter: (k) => !k.endsWith('.log') });
    expect(plan.transfers).toEqual([]);
    expect(plan.unchanged).toBe(1);
    expect(plan.deletes.map((d) => d.key)).toEqual(['old.zip']); // x.log is excluded, so kept
    const noDelete = await planSync(src, dst, { direction: 'upload' });
    expect(noDelete.deletes).toEqual([]);
    expect(noDelete.transfers.map((t) => t.source.key)).toEqual(['b.log']);
  });

  it('groups deletions by deltaspace', () => {
    const groups = groupByDeltaspace(['a/1', 'b/1', 'a/2', 'root', 'a/sub/3'], (k) => k);
    expect(groups).toEqual([['a/1', 'a/2'], ['b/1'], ['root'], ['a/sub/3']]);
  });
});

describe('migrate', () => {
  let f: Fixture;
  beforeEach(() => (f = makeFixture({ buckets: [BUCKET, 'dst'] })));
  afterEach(() => f.cleanup());

  it('maps keys with and without the source prefix', () => {
    expect(folderPrefix('builds')).toBe('builds/');
    expect(folderPrefix('')).toBe('');
    expect(destKeyMapper('a/builds/', 'new/', true)('x/y.zip')).toBe('new/builds/x/y.zip');
    expect(destKeyMapper('a/builds/', 'new/', false)('x/y.zip')).toBe('new/x/y.zip');
    expect(destKeyMapper('', '', true)('y.zip')).toBe('y.zip');
  });

  it('migrates a prefix that already holds deltas (rebuilt and re-stored), then resumes by skipping', async () => {
    const base = randomBytes(150_000, 7);
    const versions = [base, sparseEdits(base, 4000, 8), sparseEdits(base, 4000, 9)];
    for (let i = 0; i < versions.length; i++) {
      await f.service.put(f.file(`v${i}.zip`, versions[i]), BUCKET, `builds/app-${i}.zip`);
    }
    // plus a plain object written by some other tool (no dg metadata at all)
    f.storage.setObject(BUCKET, 'builds/notes.txt', Buffer.from('release notes'));
    expect(f.storage.keys(BUCKET).filter((k) => k.endsWith('.delta')).length).toBe(3);

    const items: string[] = [];
    const summary = await migrate(f.service, f.service, {
      sourceBucket: BUCKET, sourcePrefix: 'builds/', destBucket: 'dst', destPrefix: '', onItem: (i) => items.push(`${i.action} ${i.destKey}`),
    });
    expect(summary).toMatchObject({ total: 4, migrated: 4, skipped: 0, failed: 0 });
    expect(items.sort()).toEqual(['migrated builds/app-0.zip', 'migrated builds/app-1.zip', 'migrated builds/app-2.zip', 'migrated builds/notes.txt']);
    expect(summary.originalBytes).toBe(versions.reduce((n, v) => n + v.length, 0) + 13);
    expect(summary.savedBytes).toBeGreaterThan(0);
    const dstKeys = f.storage.keys('dst');
    expect(layout(f.storage, 'dst').filter((k) => k.startsWith('builds/[ref'))).toHaveLength(1);
    expect(dstKeys.filter((k) => k.endsWith('.delta'))).toHaveLength(3);
    for (let i = 0; i < versions.length; i++) {
      const out = `${f.dir}/out-${i}`;
      const got = await f.service.get('dst', `builds/app-${i}.zip`, out);
      expect(got.sha256).toBe(sha256(versions[i]));
    }

    const again = await migrate(f.service, f.service, { sourceBucket: BUCKET, sourcePrefix: 'builds', destBucket: 'dst', destPrefix: '' });
    expect(again).toMatchObject({ total: 4, migrated: 0, skipped: 4 });
  });

  it('dry run writes nothing; filters apply to keys relative to the prefix', async () => {
    await f.service.put(f.file('a.txt', Buffer.from('a')), BUCKET, 'p/a.txt');
    await f.service.put(f.file('b.log', Buffer.from('b')), BUCKET, 'p/b.log');
    const dry = await migrate(f.service, f.service, {
      sourceBucket: BUCKET, sourcePrefix: 'p/', destBucket: 'dst', destPrefix: 'x/', preservePrefix: false, dryRun: true,
      filter: (k) => k.endsWith('.txt'),
    });
    expect(dry).toMatchObject({ total: 1, wouldMigrate: 1, migrated: 0 });
    expect(f.storage.keys('dst')).toEqual([]);
  });

  it('refuses overlapping source and destination in one bucket', async () => {
    await expect(
      migrate(f.service, f.service, { sourceBucket: BUCKET, sourcePrefix: 'a/', destBucket: BUCKET, destPrefix: 'a/b/' }),
    ).rejects.toMatchObject({ code: 'ERR_DG_USAGE' });
  });
});
