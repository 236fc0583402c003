import { BUCKET, makeFixture, referenceKeyIn, seededBytes, similarTo, type Fixture } from '../helpers/core-fixture';

describe('DeltaService list / delete / deleteRecursive', () => {
  let f: Fixture;
  const base = seededBytes(20_000, 21);

  async function put(key: string, bytes: Buffer): Promise<void> {
    await f.service.put(f.file(key.replace(/\//g, '_'), bytes), BUCKET, key);
  }

  /** The write-once reference of a deltaspace. */
  const refOf = (deltaspace: string): string => referenceKeyIn(f.storage, deltaspace);

  beforeEach(async () => {
    f = makeFixture();
    await put('r/a/app-1.zip', base);
    await put('r/a/app-2.zip', similarTo(base, 2));
    await put('r/a/notes.txt', Buffer.from('notes'));
    await put('r/b/app-1.zip', similarTo(base, 3));
    await put('top.zip', similarTo(base, 4));
    f.storage.setObject(BUCKET, '.deltaglider/tmp/0123_app.zip', Buffer.from('rehydrated'));
    f.storage.setObject(BUCKET, '.deltaglider/stats_quick.json', Buffer.from('{}'));
  });
  afterEach(() => f.cleanup());

  test('list shows logical keys with original sizes and hides internals', async () => {
    const page = await f.service.list(BUCKET);
    expect(page.objects.map((o) => [o.key, o.kind, o.size])).toEqual([
      ['r/a/app-1.zip', 'delta', 20_000],
      ['r/a/app-2.zip', 'delta', 20_100],
      ['r/a/notes.txt', 'direct', 5],
      ['r/b/app-1.zip', 'delta', 20_100],
      ['top.zip', 'delta', 20_100],
    ]);
    const app2 = page.objects[1];
    expect(app2.storedKey).toBe('r/a/app-2.zip.delta');
    expect(app2.storedSize).toBe(f.storage.object(BUCKET, 'r/a/app-2.zip.delta')!.body.length);
    expect(app2.originalSizeKnown).toBe(true);
    expect(app2.referenceKey).toBe(refOf('r/a'));
  });

  test('list with a delimiter folds prefixes and hides .deltaglider/', async () => {
    const root = await f.service.list(BUCKET, { delimiter: '/' });
    expect(root.commonPrefixes).toEqual(['r/']);
    expect(root.objects.map((o) => o.key)).toEqual(['top.zip']);
    const a = await f.service.list(BUCKET, { prefix: 'r/a/', delimiter: '/' });
    expect(a.objects.map((o) => o.key)).toEqual(['r/a/app-1.zip', 'r/a/app-2.zip', 'r/a/notes.txt']);
    expect(a.commonPrefixes).toEqual([]); // r/a/.deltaglider/ (its references) is hidden
    expect((await f.storage.list(BUCKET, { prefix: 'r/a/', delimiter: '/' })).commonPrefixes).toEqual(['r/a/.deltaglider/']);
  });

  test('fetchMetadata false: no HEADs, deltas show stored sizes', async () => {
    f.storage.calls.length = 0;
    const page = await f.service.list(BUCKET, { prefix: 'r/a/', fetchMetadata: false });
    expect(f.storage.calls.filter((c) => c.startsWith('head'))).toEqual([]);
    const app1 = page.objects.find((o) => o.key === 'r/a/app-1.zip')!;
    expect(app1.originalSizeKnown).toBe(false);
    expect(app1.size).toBe(app1.storedSize);
  });

  test('paging passes continuation tokens through; every object is seen once', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await f.service.list(BUCKET, { maxKeys: 2, continuationToken: token });
      expect(page.objects.length).toBeLessThanOrEqual(2);
      seen.push(...page.objects.map((o) => o.key));
      token = page.nextContinuationToken;
      pages++;
    } while (token);
    expect(pages).toBeGreaterThan(3);
    expect(seen).toEqual(['r/a/app-1.zip', 'r/a/app-2.zip', 'r/a/notes.txt', 'r/b/app-1.zip', 'top.zip']);
  });

  test('a delta with unreadable metadata stays listed, with its stored size', async () => {
    f.storage.object(BUCKET, 'r/a/app-2.zip.delta')!.metadata['dg-file-size'] = 'lots';
    const page = await f.service.list(BUCKET, { prefix: 'r/a/' });
    const app2 = page.objects.find((o) => o.key === 'r/a/app-2.zip')!;
    expect(app2.originalSizeKnown).toBe(false);
  });

  test('delete keeps the reference while deltas need it, removes it with the last', async () => {
    const ref = refOf('r/a');
    expect(await f.service.delete(BUCKET, 'r/a/app-2.zip')).toEqual({ deletedKeys: ['r/a/app-2.zip.delta'] });
    expect(f.storage.keys(BUCKET)).toContain(ref);
    expect(await f.service.delete(BUCKET, 'r/a/notes.txt')).toEqual({ deletedKeys: ['r/a/notes.txt'] });
    expect(await f.service.delete(BUCKET, 'r/a/app-1.zip')).toEqual({ deletedKeys: ['r/a/app-1.zip.delta', ref] });
    expect(f.storage.keys(BUCKET).filter((k) => k.startsWith('r/a/'))).toEqual([]); // parked copy gone too
    expect(await f.service.delete(BUCKET, 'r/a/app-1.zip')).toEqual({ deletedKeys: [] });
    await expect(f.service.delete(BUCKET, refOf('r/b'))).rejects.toMatchObject({ code: 'ERR_DG_INVALID_ARGUMENT' });
    await expect(f.service.delete(BUCKET, 'r/b/reference.bin')).rejects.toMatchObject({ code: 'ERR_DG_INVALID_ARGUMENT' });
    // The root deltaspace works the same.
    const rootRef = refOf('');
    expect(await f.service.delete(BUCKET, 'top.zip')).toEqual({ deletedKeys: ['top.zip.delta', rootRef] });
  });

  test('a new upload after the reference went creates a fresh one', async () => {
    await f.service.delete(BUCKET, 'r/b/app-1.zip');
    const r = await f.service.put(f.file('n.zip', base), BUCKET, 'r/b/new.zip');
    expect(r.storedAs).toBe('reference');
  });

  test('deleteRecursive on a whole deltaspace removes everything under it', async () => {
    const dry = await f.service.deleteRecursive(BUCKET, 'r/a/', { dryRun: true });
    expect(dry.deletedKeys.sort()).toEqual([refOf('r/a'), 'r/a/app-1.zip.delta', 'r/a/app-2.zip.delta', 'r/a/notes.txt'].sort());
    expect(f.storage.keys(BUCKET)).toContain('r/a/notes.txt');
    const done = await f.service.deleteRecursive(BUCKET, 'r/a/');
    expect(done.deletedKeys.sort()).toEqual(dry.deletedKeys.sort());
    expect(f.storage.keys(BUCKET).filter((k) => k.startsWith('r/a/'))).toEqual([]);
    expect(f.storage.keys(BUCKET)).toContain(refOf('r/b'));
  });

  test('deleteRecursive deletes deltas before references', async () => {
    const refs = [refOf('r/a'), refOf('r/b')];
    f.storage.calls.length = 0;
    await f.service.deleteRecursive(BUCKET, 'r/');
    const deletes = f.storage.calls.filter((c) => c.startsWith('delete'));
    expect(deletes[0]).toBe('deleteMany r/a/app-1.zip.delta,r/a/app-2.zip.delta,r/a/notes.txt,r/b/app-1.zip.delta');
    // Each reference is parked, deleted, checked for new deltas, then its parked copy dropped.
    expect(deletes.slice(1).filter((c) => !c.includes('/.deltaglider/deleting/'))).toEqual(refs.map((r) => `delete ${r}`));
    expect(f.storage.keys(BUCKET).filter((k) => k.startsWith('r/'))).toEqual([]);
  });

  test('a prefix cutting through a deltaspace keeps the reference the rest still need', async () => {
    const ref = refOf('r/a');
    const r1 = await f.service.deleteRecursive(BUCKET, 'r/a/app-2');
    expect(r1.deletedKeys).toEqual(['r/a/app-2.zip.delta']);
    expect(f.storage.keys(BUCKET)).toContain(ref);
    // A prefix that matches the reference but no delta, with deltas left behind.
    const r2 = await f.service.deleteRecursive(BUCKET, 'r/a/.deltaglider/');
    expect(r2.deletedKeys).toEqual([]);
    expect(f.storage.keys(BUCKET)).toContain(ref);
    await f.service.deleteRecursive(BUCKET, 'r/a/app');
    // No delta left in r/a: now a prefix touching the reference takes it.
    const r3 = await f.service.deleteRecursive(BUCKET, 'r/a/');
    expect(r3.deletedKeys.sort()).toEqual([ref, 'r/a/notes.txt'].sort());
  });

  test('deleteRecursive of the whole bucket includes .deltaglider/', async () => {
    await f.service.deleteRecursive(BUCKET, '');
    expect(f.storage.keys(BUCKET)).toEqual([]);
  });
});
