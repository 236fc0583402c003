/**
 * Writers racing in one deltaspace, every storage operation interleaved by a schedule, on a
 * store that ignores If-None-Match (like s3rver): whatever the order, every upload that
 * succeeded rebuilds byte-exact with an empty cache, and no reference key is ever written twice.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { isReferenceKey } from '../../lib/core';
import { isDeltaGliderError } from '../../lib/errors';
import { BUCKET, makeFixture, referenceKeyIn, seededBytes, sha256, similarTo, type Fixture } from '../helpers/core-fixture';
import { OpScheduler } from '../helpers/op-scheduler';

/** All A/B schedules of the first `n` operations (2^n), each then run to the end freely. */
function schedules(n: number): string[][] {
  return Array.from({ length: 2 ** n }, (_, bits) => Array.from({ length: n }, (_, i) => ((bits >> i) & 1 ? 'B' : 'A')));
}

/** A reproducible pseudo-random schedule over `writers`. */
function randomSchedule(writers: string[], length: number, seed: number): string[] {
  let x = seed >>> 0 || 1;
  return Array.from({ length }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return writers[(x >>> 0) % writers.length];
  });
}

describe('reference races', () => {
  const a = seededBytes(20_000, 31);
  const b = similarTo(a, 32);
  let f: Fixture;
  afterEach(() => f?.cleanup());

  async function race(schedule: string[], ...writers: [string, () => Promise<unknown>][]): Promise<OpScheduler> {
    const scheduler = new OpScheduler(schedule);
    scheduler.attach(f.storage);
    await Promise.all(writers.map(([name, run]) => scheduler.as(name, run)));
    f.storage.hook = undefined;
    f.storage.afterHook = undefined;
    return scheduler;
  }

  /** What another machine sees: each key rebuilds to its bytes with an empty cache. */
  async function expectReadable(objects: [string, Buffer][]): Promise<void> {
    for (const [key, bytes] of objects) {
      const out = join(f.dir, 'out');
      await f.cache.clear();
      const got = await f.another().get(BUCKET, key, out);
      expect(got.sha256).toBe(sha256(bytes));
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
  }

  /** No reference key was written twice (the trace lists every put). */
  function expectWriteOnce(scheduler: OpScheduler): void {
    const puts = scheduler.trace.map((t) => t.split(' ')).filter(([, op, key]) => op === 'put' && isReferenceKey(key)).map(([, , key]) => key);
    expect(new Set(puts).size).toBe(puts.length);
  }

  test('every interleaving of two first uploads from two processes leaves both readable, no reference rewritten', async () => {
    for (const schedule of schedules(8)) {
      f?.cleanup();
      f = makeFixture({ enforceIfNoneMatch: false });
      const pa = f.file('a.zip', a);
      const pb = f.file('b.zip', b);
      const scheduler = await race(
        schedule,
        ['A', () => f.service.put(pa, BUCKET, 'ds/a.zip')],
        ['B', () => f.another().put(pb, BUCKET, 'ds/b.zip')],
      );
      expectWriteOnce(scheduler);
      await expectReadable([['ds/a.zip', a], ['ds/b.zip', b]]);
    }
  });

  test('an upload racing the delete of the last other object: its delta always keeps a reference', async () => {
    // B uploads a delta against the reference while C deletes the only other object, which
    // retires that reference (park, delete, look again, restore or drop).
    for (const schedule of schedules(8).map((s) => s.map((w) => (w === 'A' ? 'C' : 'B')))) {
      f?.cleanup();
      f = makeFixture({ enforceIfNoneMatch: false });
      await f.service.put(f.file('a.zip', a), BUCKET, 'ds/a.zip');
      const pb = f.file('b.zip', b);
      await race(
        schedule,
        ['B', () => f.another().put(pb, BUCKET, 'ds/b.zip')],
        ['C', () => f.another().delete(BUCKET, 'ds/a.zip')],
      );
      await expectReadable([['ds/b.zip', b]]);
      expect(f.storage.keys(BUCKET).filter((k) => k.includes('/.deltaglider/deleting/'))).toEqual([]);
      expect(f.storage.keys(BUCKET)).not.toContain('ds/a.zip.delta');
    }
  });

  test('several writers of one key, as deltas and directly, random interleavings: the key survives and rebuilds', async () => {
    const writers = ['A', 'B', 'C', 'D'];
    const contents = writers.map((_, i) => similarTo(a, 40 + i));
    for (let round = 0; round < 40; round++) {
      f?.cleanup();
      f = makeFixture({ enforceIfNoneMatch: false });
      await f.service.put(f.file('base.zip', a), BUCKET, 'k/base.zip');
      const paths = contents.map((c, i) => f.file(`w${i}.zip`, c));
      const results = new Map<string, boolean>();
      await race(
        randomSchedule(writers, 80, round + 1),
        ...writers.map((w, i): [string, () => Promise<unknown>] => [
          w,
          async () => {
            try {
              await f.another().put(paths[i], BUCKET, 'k/app.zip', { noDelta: i % 2 === 1 });
              results.set(w, true);
            } catch (err) {
              if (!isDeltaGliderError(err)) throw err;
              results.set(w, false); // a clean failure is allowed; a lost success is not
            }
          },
        ]),
      );
      expect([...results.values()]).toContain(true);
      const out = join(f.dir, 'got');
      await f.cache.clear();
      const got = await f.another().get(BUCKET, 'k/app.zip', out);
      const winner = contents.findIndex((c) => sha256(c) === got.sha256);
      expect(winner).toBeGreaterThanOrEqual(0);
      expect(results.get(writers[winner])).toBe(true);
      expect(readFileSync(out).equals(contents[winner])).toBe(true);
      // One form only.
      const forms = f.storage.keys(BUCKET).filter((k) => k === 'k/app.zip' || k === 'k/app.zip.delta');
      expect(forms).toHaveLength(1);
    }
  });

  test('a reference deleted while a delta is being written: the upload notices and makes a new one', async () => {
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
    expect(r.referenceKey).toBe(referenceKeyIn(f.storage, 'ds'));
    await expectReadable([['ds/b.zip', b]]);
  });

  test('a reference that keeps being deleted: bounded retries, then an error and no delta left', async () => {
    f = makeFixture();
    await f.service.put(f.file('a.zip', a), BUCKET, 'ds/a.zip');
    let n = 0;
    f.storage.hook = (op, _bucket, key) => {
      if (op === 'put' && key === 'ds/b.zip.delta') {
        n++;
        for (const k of f.storage.keys(BUCKET)) if (isReferenceKey(k)) f.storage.removeObject(BUCKET, k);
      }
    };
    const started = Date.now();
    await expect(f.service.put(f.file('b.zip', b), BUCKET, 'ds/b.zip')).rejects.toMatchObject({ code: 'ERR_DG_STORAGE' });
    expect(n).toBe(6);
    // Each retry waits a little longer (jittered doubling from ~25 ms).
    expect(Date.now() - started).toBeGreaterThanOrEqual((25 + 50 + 100 + 200 + 400) / 2);
    expect(f.storage.object(BUCKET, 'ds/b.zip.delta')).toBeUndefined();
  });

  test('a reference deleted between listing and downloading it: the upload looks again', async () => {
    f = makeFixture();
    await f.service.put(f.file('a.zip', a), BUCKET, 'ds/a.zip');
    await f.cache.clear();
    const ref = referenceKeyIn(f.storage, 'ds');
    let deleted = false;
    f.storage.hook = async (op, _bucket, key) => {
      if (op !== 'get' || key !== ref || deleted) return;
      deleted = true;
      f.storage.hook = undefined;
      await f.another().delete(BUCKET, 'ds/a.zip');
    };
    const put = await f.service.put(f.file('b.zip', b), BUCKET, 'ds/b.zip');
    expect(deleted).toBe(true);
    expect(put.storedAs).toBe('reference');
    await expectReadable([['ds/b.zip', b]]);
  });

  test('a reference whose bytes are not what its key says is skipped: a new one is made', async () => {
    f = makeFixture();
    await f.service.put(f.file('a.zip', a), BUCKET, 'ds/a.zip');
    await f.cache.clear();
    const ref = referenceKeyIn(f.storage, 'ds');
    const damaged = f.storage.object(BUCKET, ref)!;
    damaged.body = seededBytes(20_000, 666); // e.g. a writer died mid-way on a broken store
    damaged.lastModified = new Date(Date.now() + 3_600_000); // the newest: chosen first
    const put = await f.service.put(f.file('b.zip', b), BUCKET, 'ds/b.zip');
    expect(put.storedAs).toBe('reference');
    expect(put.referenceKey).not.toBe(ref);
    await expectReadable([['ds/b.zip', b]]);
    // The same process does not pick the damaged one again.
    const put2 = await f.service.put(f.file('c.zip', similarTo(b, 7)), BUCKET, 'ds/c.zip');
    expect(put2).toMatchObject({ storedAs: 'delta', referenceKey: put.referenceKey });
  });
});
