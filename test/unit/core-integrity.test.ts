/**
 * Integrity holes found under fault and damage probes (issue #10), one test each: a source
 * that changes while it is uploaded, verify against a bucket whose reference is broken while
 * this machine's cache is warm, a cache that changes what it served, direct objects with
 * DeltaGlider metadata but no SHA-256, GET bodies damaged or cut short on the way.
 */
import { readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CachedReference, ReferenceCache } from '../../lib/ports/reference-cache';
import { BUCKET, makeFixture, referenceKeyIn, seededBytes, sha256, similarTo, type Fixture } from '../helpers/core-fixture';

describe('integrity under damage and faults', () => {
  let f: Fixture;
  const v1 = seededBytes(50_000, 61);
  const v2 = similarTo(v1, 62);
  beforeEach(() => {
    f = makeFixture({ enforceIfNoneMatch: false });
  });
  afterEach(() => f.cleanup());

  describe('a source that changes during the upload stores nothing', () => {
    test.each([
      ['shrinks before the reference is sent', 'ds/.deltaglider/refs/', (p: string) => truncateSync(p, 20_000)],
      ['changes bytes before the reference is sent', 'ds/.deltaglider/refs/', (p: string) => writeFileSync(p, seededBytes(50_000, 99))],
    ])('first upload: the file %s -> ERR_DG_SOURCE_CHANGED, no reference, no delta', async (_what, keyPrefix, mutate) => {
      const path = f.file('app.zip', v1);
      f.storage.hook = (op, _bucket, key) => {
        if (op === 'put' && key.startsWith(keyPrefix)) mutate(path);
      };
      await expect(f.service.put(path, BUCKET, 'ds/app.zip')).rejects.toMatchObject({ code: 'ERR_DG_SOURCE_CHANGED' });
      expect(f.storage.keys(BUCKET)).toEqual([]);
    });

    test('direct upload: the file changes after it was hashed -> ERR_DG_SOURCE_CHANGED, nothing stored', async () => {
      const path = f.file('notes.txt', Buffer.from('plain text\n'.repeat(1000)));
      f.storage.hook = (op, _bucket, key) => {
        if (op === 'put' && key === 'docs/notes.txt') writeFileSync(path, 'other text\n'.repeat(1000));
      };
      await expect(f.service.put(path, BUCKET, 'docs/notes.txt')).rejects.toMatchObject({ code: 'ERR_DG_SOURCE_CHANGED' });
      expect(f.storage.keys(BUCKET)).toEqual([]);
    });
  });

  describe('verify checks the reference in the bucket, not only the cache', () => {
    beforeEach(async () => {
      await f.service.put(f.file('v1.zip', v1), BUCKET, 'ds/v1.zip');
      await f.service.put(f.file('v2.zip', v2), BUCKET, 'ds/v2.zip');
      await f.service.get(BUCKET, 'ds/v2.zip', join(f.dir, 'warm')); // the cache holds the reference
      expect((await f.service.verify(BUCKET, 'ds/v2.zip')).valid).toBe(true);
    });

    const damage: [string, (ref: string) => void, boolean][] = [
      ['deleted', (ref) => f.storage.removeObject(BUCKET, ref), false],
      ['replaced by another file', (ref) => {
        const other = seededBytes(50_000, 7);
        f.storage.setObject(BUCKET, ref, other, { 'dg-file-sha256': sha256(other) });
      }, false],
      ['truncated', (ref) => {
        const obj = f.storage.object(BUCKET, ref)!;
        obj.body = obj.body.subarray(0, 40_000);
      }, false],
      ['bit-flipped (found with deep)', (ref) => {
        f.storage.object(BUCKET, ref)!.body[1234] ^= 0x10;
      }, true],
    ];
    test.each(damage)('reference %s -> invalid, with the reason', async (_what, harm, deep) => {
      harm(referenceKeyIn(f.storage, 'ds'));
      for (const key of ['ds/v1.zip', 'ds/v2.zip']) {
        const result = await f.service.verify(BUCKET, key, { deep });
        expect(result.valid).toBe(false);
        expect(result.error?.message).toMatch(/reference/);
      }
    });
  });

  test('a cached reference that changes after its check is never served as the object', async () => {
    await f.service.put(f.file('v1.zip', v1), BUCKET, 'ds/v1.zip');
    // A cache that checks its entry, then lets it change before the caller reads it.
    const inner = f.cache;
    const lying: ReferenceCache = {
      async get(sha): Promise<CachedReference | null> {
        const got = await inner.get(sha);
        if (got) writeFileSync(got.path, seededBytes(50_000, 123));
        return got;
      },
      put: (sha, body) => inner.put(sha, body),
      clear: () => inner.clear(),
      setAlias: (name, sha) => inner.setAlias(name, sha),
      getAlias: (name) => inner.getAlias(name),
    };
    const service = f.another({ referenceCache: lying });
    const out = join(f.dir, 'out', 'v1.zip');
    // The copy is hashed as it is made: the changed bytes fail it, and the retry (the cache
    // now drops the bad entry) downloads the reference again. Never the changed bytes.
    expect((await service.get(BUCKET, 'ds/v1.zip', out)).sha256).toBe(sha256(v1));
    expect(readFileSync(out).equals(v1)).toBe(true);
    expect(readdirSync(join(f.dir, 'out'))).toEqual(['v1.zip']);
  });

  test('a direct object with dg-* metadata but no dg-file-sha256 is refused, not served unchecked', async () => {
    f.storage.setObject(BUCKET, 'd/app.bin', Buffer.from('bytes'), { 'dg-tool': 'someone/1.0', 'dg-compression': 'none' });
    await expect(f.service.get(BUCKET, 'd/app.bin', join(f.dir, 'o'))).rejects.toMatchObject({ code: 'ERR_DG_BAD_METADATA' });
    // With no DeltaGlider metadata at all it is a plain S3 object, served as it is.
    f.storage.setObject(BUCKET, 'd/plain.bin', Buffer.from('plain'), { owner: 'ci' });
    await f.service.get(BUCKET, 'd/plain.bin', join(f.dir, 'p'));
    expect(readFileSync(join(f.dir, 'p'), 'utf8')).toBe('plain');
  });

  describe('GET bodies damaged on the way are tried again', () => {
    beforeEach(async () => {
      await f.service.put(f.file('v1.zip', v1), BUCKET, 'ds/v1.zip');
      await f.service.put(f.file('v2.zip', v2), BUCKET, 'ds/v2.zip');
      await f.cache.clear();
    });

    const faults: [string, (body: Buffer) => Buffer | { failAfter: number }][] = [
      ['cut short', (body) => body.subarray(0, body.length - 10)],
      ['bit-flipped', (body) => {
        const copy = Buffer.from(body);
        copy[copy.length >> 1] ^= 1;
        return copy;
      }],
      ['reset mid-way', (body) => ({ failAfter: body.length >> 1 })],
    ];
    test.each(faults)('a delta and its reference %s once: the download succeeds', async (_what, damage) => {
      const hit = new Set<string>();
      f.storage.bodyFault = (key, body) => {
        if (hit.has(key)) return undefined;
        hit.add(key);
        return damage(body);
      };
      const out = join(f.dir, 'v2.zip');
      expect((await f.service.get(BUCKET, 'ds/v2.zip', out)).sha256).toBe(sha256(v2));
      expect(readFileSync(out).equals(v2)).toBe(true);
      expect([...hit].sort()).toEqual([referenceKeyIn(f.storage, 'ds'), 'ds/v2.zip.delta']);
    });

    test('damage on every attempt: the error says the stored data is damaged', async () => {
      const ref = referenceKeyIn(f.storage, 'ds');
      f.storage.object(BUCKET, ref)!.body[100] ^= 1; // stored damage, not transfer
      await expect(f.service.get(BUCKET, 'ds/v2.zip', join(f.dir, 'x'))).rejects.toMatchObject({
        code: 'ERR_DG_REFERENCE_MISMATCH', message: expect.stringMatching(/the same on 3 downloads: the stored reference is damaged/),
      });
    });
  });
});
