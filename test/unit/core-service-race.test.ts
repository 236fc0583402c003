import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { referenceKeyOf } from '../../lib/core';
import { BUCKET, makeFixture, seededBytes, sha256, similarTo, type Fixture } from '../helpers/core-fixture';
import { OpScheduler } from '../helpers/op-scheduler';

/** All A/B schedules of the first `n` operations (2^n), each then run to the end freely. */
function schedules(n: number): string[][] {
  return Array.from({ length: 2 ** n }, (_, bits) => Array.from({ length: n }, (_, i) => ((bits >> i) & 1 ? 'B' : 'A')));
}

describe('reference races', () => {
  const a = seededBytes(20_000, 31);
  const b = similarTo(a, 32);
  let f: Fixture;
  afterEach(() => f?.cleanup());

  async function race(schedule: string[]): Promise<OpScheduler> {
    const scheduler = new OpScheduler(schedule);
    scheduler.attach(f.storage);
    const pa = f.file('a.zip', a);
    const pb = f.file('b.zip', b);
    await Promise.all([
      scheduler.as('A', () => f.service.put(pa, BUCKET, 'ds/a.zip')),
      scheduler.as('B', () => f.another().put(pb, BUCKET, 'ds/b.zip')),
    ]);
    f.storage.hook = undefined;
    f.storage.afterHook = undefined;
    return scheduler;
  }

  async function expectBothReadable(): Promise<void> {
    for (const [key, bytes] of [['ds/a.zip', a], ['ds/b.zip', b]] as const) {
      const out = join(f.dir, 'out');
      await f.cache.clear(); // read the reference from the bucket, as another machine would
      const got = await f.service.get(BUCKET, key, out);
      expect(got.sha256).toBe(sha256(bytes));
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
    expect(f.storage.keys(BUCKET)).toEqual(['ds/a.zip.delta', 'ds/b.zip.delta', 'ds/reference.bin']);
  }

  test('with If-None-Match enforced, every interleaving of two first uploads leaves both readable', async () => {
    for (const schedule of schedules(6)) {
      f?.cleanup();
      f = makeFixture({ enforceIfNoneMatch: true });
      await race(schedule);
      await expectBothReadable();
    }
  });

  test('the loser of the conditional create encodes against the winner', async () => {
    f = makeFixture({ enforceIfNoneMatch: true });
    // Both HEAD the (missing) reference, then A creates it, then B tries.
    const scheduler = await race(['A', 'B', 'A', 'B']);
    expect(scheduler.trace.slice(0, 4)).toEqual([
      'A head ds/reference.bin', 'B head ds/reference.bin', 'A put ds/reference.bin', 'B put ds/reference.bin',
    ]);
    expect(f.storage.object(BUCKET, 'ds/reference.bin')!.body.equals(a)).toBe(true);
    expect(f.storage.object(BUCKET, 'ds/b.zip.delta')!.metadata['dg-ref-sha256']).toBe(sha256(a));
    expect(f.metrics.count('deltaglider.reference_race')).toBe(1);
    await expectBothReadable();
  });

  test('without conditional writes, the post-write check re-encodes against the reference that won', async () => {
    f = makeFixture({ enforceIfNoneMatch: false });
    // A and B both create the reference (B overwrites A's), then A writes its delta against
    // its own, now lost, reference: A's check must notice and rewrite against B's.
    const scheduler = await race(['A', 'B', 'A', 'B', 'A', 'A']);
    expect(scheduler.trace.slice(0, 6)).toEqual([
      'A head ds/reference.bin', 'B head ds/reference.bin', 'A put ds/reference.bin', 'B put ds/reference.bin',
      'A put ds/a.zip.delta', 'A head ds/reference.bin',
    ]);
    expect(f.storage.object(BUCKET, 'ds/reference.bin')!.body.equals(b)).toBe(true);
    expect(f.storage.object(BUCKET, 'ds/a.zip.delta')!.metadata['dg-ref-sha256']).toBe(sha256(b));
    expect(f.metrics.count('deltaglider.reference_race')).toBeGreaterThanOrEqual(1);
    await expectBothReadable();
  });

  test('without conditional writes, interleavings where both writes precede both checks stay readable', async () => {
    // The store cannot stop the overwrite; the checks after each delta catch it as long as a
    // writer checks after the last reference write (docs: the residual window).
    for (const schedule of [['A', 'B', 'A', 'B'], ['A', 'B', 'B', 'A'], ['B', 'A', 'A', 'B', 'B', 'A']]) {
      f?.cleanup();
      f = makeFixture({ enforceIfNoneMatch: false });
      await race(schedule);
      await expectBothReadable();
    }
  });

  test('a reference deleted while a delta is being written is recreated', async () => {
    f = makeFixture();
    await f.service.put(f.file('a.zip', a), BUCKET, 'ds/a.zip');
    // Right before B's delta lands, the last other delta and the reference are deleted.
    let fired = false;
    f.storage.hook = async (op, _bucket, key) => {
      if (!fired && op === 'put' && key === 'ds/b.zip.delta') {
        fired = true;
        f.storage.hook = undefined;
        await f.another().delete(BUCKET, 'ds/a.zip');
      }
    };
    const r = await f.service.put(f.file('b.zip', b), BUCKET, 'ds/b.zip');
    expect(fired).toBe(true);
    expect(r.storedAs).toBe('reference');
    expect(f.storage.keys(BUCKET)).toEqual(['ds/b.zip.delta', 'ds/reference.bin']);
    const out = join(f.dir, 'o');
    await f.service.get(BUCKET, 'ds/b.zip', out);
    expect(readFileSync(out).equals(b)).toBe(true);
  });

  test('a reference that keeps changing: bounded retries, then an error and no delta left', async () => {
    f = makeFixture();
    await f.service.put(f.file('a.zip', a), BUCKET, 'ds/a.zip');
    let n = 0;
    f.storage.hook = (op, _bucket, key) => {
      if (op === 'put' && key === 'ds/b.zip.delta') {
        const next = similarTo(a, 500 + n++);
        f.storage.setObject(BUCKET, referenceKeyOf('ds'), next, { 'dg-file-sha256': sha256(next) });
      }
    };
    const started = Date.now();
    await expect(f.service.put(f.file('b.zip', b), BUCKET, 'ds/b.zip')).rejects.toMatchObject({ code: 'ERR_DG_STORAGE' });
    expect(n).toBe(6);
    // Each retry waits a little longer (jittered doubling from ~25 ms): racing writers on a
    // store without conditional writes get the time to finish.
    expect(Date.now() - started).toBeGreaterThanOrEqual((25 + 50 + 100 + 200 + 400) / 2);
    expect(f.storage.object(BUCKET, 'ds/b.zip.delta')).toBeUndefined();
  });

  test('a reference replaced between its HEAD and GET is looked up again, not a failed upload', async () => {
    f = makeFixture({ enforceIfNoneMatch: false });
    await f.service.put(f.file('a.zip', a), BUCKET, 'ds/a.zip');
    await f.cache.clear();
    // Another writer (no conditional writes) overwrites reference.bin with its own first file
    // just as this upload starts downloading the reference it saw in the HEAD.
    const c = similarTo(a, 33);
    let replaced = false;
    f.storage.hook = (op, _bucket, key) => {
      if (op !== 'get' || key !== 'ds/reference.bin' || replaced) return;
      replaced = true;
      const ref = f.storage.object(BUCKET, 'ds/reference.bin')!;
      f.storage.setObject(BUCKET, 'ds/reference.bin', c, { ...ref.metadata, 'dg-file-sha256': sha256(c) });
    };
    const put = await f.service.put(f.file('b.zip', b), BUCKET, 'ds/b.zip');
    f.storage.hook = undefined;
    expect(replaced).toBe(true);
    expect(put.storedAs).toBe('delta');
    await f.cache.clear();
    const out = join(f.dir, 'out');
    const got = await f.service.get(BUCKET, 'ds/b.zip', out);
    expect(got.sha256).toBe(sha256(b));
    expect(readFileSync(out).equals(b)).toBe(true);
  });
});
