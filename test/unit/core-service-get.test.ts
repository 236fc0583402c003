import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { DeltaService } from '../../lib/core';
import { isDeltaGliderError } from '../../lib/errors';
import { BUCKET, makeFixture, referenceKeyIn, seededBytes, sha256, similarTo, type Fixture } from '../helpers/core-fixture';
import { countingCodec, type CountingCodec } from '../helpers/counting-codec';

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

describe('DeltaService get / openRead / head / verify', () => {
  let f: Fixture;
  const v1 = seededBytes(30_000, 11);
  const v2 = similarTo(v1, 12);
  const text = Buffer.from('hello direct world\n'.repeat(100));
  let outDir: string;

  beforeEach(async () => {
    f = makeFixture();
    await f.service.put(f.file('v1.zip', v1), BUCKET, 'p/v1.zip');
    await f.service.put(f.file('v2.zip', v2), BUCKET, 'p/v2.zip');
    await f.service.put(f.file('t.txt', text), BUCKET, 'p/t.txt');
    await f.cache.clear();
    f.metrics.counts.clear();
    f.cache.puts = 0;
    outDir = join(f.dir, 'out');
  });
  afterEach(() => f.cleanup());

  /** The download failed with `code` and left nothing behind in the destination directory. */
  async function expectFailedGet(key: string, code: string, message?: RegExp): Promise<void> {
    const dest = join(outDir, 'result.bin');
    const err = await f.service.get(BUCKET, key, dest).then(() => undefined, (e: unknown) => e);
    expect(isDeltaGliderError(err)).toBe(true);
    expect(err).toMatchObject({ code });
    if (message) expect((err as Error).message).toMatch(message);
    expect(existsSync(outDir) ? readdirSync(outDir) : []).toEqual([]);
  }

  const mutateMeta = (key: string, patch: Record<string, string | undefined>): void => {
    const obj = f.storage.object(BUCKET, key)!;
    for (const [k, v] of Object.entries(patch)) {
      if (v === undefined) delete obj.metadata[k];
      else obj.metadata[k] = v;
    }
  };

  test('get is byte-exact for reference, delta and direct objects, into a new directory', async () => {
    for (const [key, bytes, kind] of [['p/v1.zip', v1, 'delta'], ['p/v2.zip', v2, 'delta'], ['p/t.txt', text, 'direct']] as const) {
      const dest = join(outDir, 'deep', key);
      const got = await f.service.get(BUCKET, key, dest);
      expect(got).toEqual({ bucket: BUCKET, key, kind, sha256: sha256(bytes), size: bytes.length });
      expect(readFileSync(dest).equals(bytes)).toBe(true);
    }
    expect(readdirSync(join(outDir, 'deep', 'p')).sort()).toEqual(['t.txt', 'v1.zip', 'v2.zip']);
    expect(f.metrics.count('deltaglider.reference_cache.miss')).toBe(1);
    expect(f.metrics.count('deltaglider.reference_cache.hit')).toBe(1);
  });

  test('an unwritable destination -> ERR_DG_IO naming it (and the open stream is let go)', async () => {
    const blocker = join(f.dir, 'blocker');
    writeFileSync(blocker, 'a file where a directory should be');
    for (const key of ['p/v2.zip', 'p/t.txt']) {
      await expect(f.service.get(BUCKET, key, join(blocker, 'x', 'out.zip'))).rejects.toMatchObject({
        code: 'ERR_DG_IO', message: expect.stringContaining(blocker),
      });
    }
  });

  test('missing object -> ERR_DG_NOT_FOUND with the s3 url', async () => {
    await expectFailedGet('p/none.zip', 'ERR_DG_NOT_FOUND', /s3:\/\/bucket\/p\/none\.zip/);
    expect(await f.service.head(BUCKET, 'p/none.zip')).toBeNull();
    await expect(f.service.verify(BUCKET, 'p/none.zip')).rejects.toMatchObject({ code: 'ERR_DG_NOT_FOUND' });
  });

  test('corrupt delta body -> a codec error, nothing left, and the old destination untouched', async () => {
    const obj = f.storage.object(BUCKET, 'p/v2.zip.delta')!;
    obj.body[Math.floor(obj.body.length / 2)] ^= 0xff;
    const dest = join(f.dir, 'existing.zip');
    writeFileSync(dest, 'previous content');
    const err = await f.service.get(BUCKET, 'p/v2.zip', dest).then(() => undefined, (e: unknown) => e);
    expect(['ERR_DG_CORRUPT_DELTA', 'ERR_DG_CHECKSUM', 'ERR_DG_SHA256_MISMATCH']).toContain((err as { code: string }).code);
    expect((err as Error).message).toContain('s3://bucket/p/v2.zip.delta');
    expect(readFileSync(dest, 'utf8')).toBe('previous content');
    expect(readdirSync(f.dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });

  test('dg-file-sha256 that does not match the rebuilt bytes -> ERR_DG_SHA256_MISMATCH', async () => {
    mutateMeta('p/v2.zip.delta', { 'dg-file-sha256': sha256(Buffer.from('something else')) });
    await expectFailedGet('p/v2.zip', 'ERR_DG_SHA256_MISMATCH');
    mutateMeta('p/t.txt', { 'dg-file-sha256': sha256(Buffer.from('something else')) });
    await expectFailedGet('p/t.txt', 'ERR_DG_SHA256_MISMATCH');
  });

  test('delta naming another reference -> ERR_DG_REFERENCE_MISMATCH naming both hashes', async () => {
    const other = sha256(Buffer.from('other reference'));
    mutateMeta('p/v2.zip.delta', { 'dg-ref-sha256': other });
    await expectFailedGet('p/v2.zip', 'ERR_DG_REFERENCE_MISMATCH', new RegExp(`${sha256(v1)}.*${other}`));
  });

  test('reference bytes replaced under the same metadata -> ERR_DG_REFERENCE_MISMATCH with the actual hash', async () => {
    const forged = seededBytes(30_000, 999);
    f.storage.object(BUCKET, referenceKeyIn(f.storage, 'p'))!.body = forged;
    await expectFailedGet('p/v2.zip', 'ERR_DG_REFERENCE_MISMATCH', new RegExp(`${sha256(forged)}.*${sha256(v1)}`));
    expect(f.cache.puts).toBe(0);
  });

  test('a tampered cache entry is not used', async () => {
    await f.service.get(BUCKET, 'p/v2.zip', join(outDir, 'a'));
    await f.cache.tamper(sha256(v1), seededBytes(30_000, 5));
    const got = await f.service.get(BUCKET, 'p/v2.zip', join(outDir, 'b'));
    expect(got.sha256).toBe(sha256(v2));
  });

  test.each([
    [{ 'dg-ref-sha256': undefined }, /dg-ref-sha256 is missing/],
    [{ 'dg-file-sha256': undefined }, /dg-file-sha256 is missing/],
    [{ 'dg-file-sha256': 'not-a-hash' }, /dg-file-sha256 is not a SHA-256/],
    [{ 'dg-file-size': 'ten' }, /dg-file-size is not a byte count/],
  ])('a .delta with bad metadata is an error, never served raw: %p', async (patch, message) => {
    mutateMeta('p/v2.zip.delta', patch);
    await expectFailedGet('p/v2.zip', 'ERR_DG_BAD_METADATA', message);
    await expect(f.service.openRead(BUCKET, 'p/v2.zip')).rejects.toMatchObject({ code: 'ERR_DG_BAD_METADATA' });
    await expect(f.service.verify(BUCKET, 'p/v2.zip')).rejects.toMatchObject({ code: 'ERR_DG_BAD_METADATA' });
  });

  test('a .delta without any metadata is not served raw under its stored name either', async () => {
    f.storage.object(BUCKET, 'p/v2.zip.delta')!.metadata = {};
    await expectFailedGet('p/v2.zip', 'ERR_DG_BAD_METADATA');
    await expectFailedGet('p/v2.zip.delta', 'ERR_DG_NOT_FOUND');
  });

  test('openRead streams the original bytes; a mismatch errors the stream', async () => {
    const { body, object } = await f.service.openRead(BUCKET, 'p/v2.zip');
    expect(object).toMatchObject({ key: 'p/v2.zip', storedKey: 'p/v2.zip.delta', kind: 'delta', size: v2.length });
    expect((await readAll(body)).equals(v2)).toBe(true);
    const direct = await f.service.openRead(BUCKET, 'p/t.txt');
    expect((await readAll(direct.body)).equals(text)).toBe(true);

    mutateMeta('p/v2.zip.delta', { 'dg-file-sha256': sha256(Buffer.from('x')) });
    const bad = await f.service.openRead(BUCKET, 'p/v2.zip');
    await expect(readAll(bad.body)).rejects.toMatchObject({ code: 'ERR_DG_SHA256_MISMATCH' });
  });

  test('openRead: a consumer that stops early does not hang', async () => {
    const { body } = await f.service.openRead(BUCKET, 'p/v2.zip');
    for await (const chunk of body) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(body.destroyed).toBe(true);
  });

  test('head gives original and stored sizes', async () => {
    const h = await f.service.head(BUCKET, 'p/v2.zip');
    expect(h).toMatchObject({
      key: 'p/v2.zip', storedKey: 'p/v2.zip.delta', kind: 'delta', size: v2.length, sha256: sha256(v2), referenceKey: referenceKeyIn(f.storage, 'p'),
    });
    expect(h!.storedSize).toBe(f.storage.object(BUCKET, 'p/v2.zip.delta')!.body.length);
    expect(await f.service.head(BUCKET, 'p/t.txt')).toMatchObject({ kind: 'direct', size: text.length, storedSize: text.length, sha256: sha256(text) });
  });

  test('verify: valid, mismatch (valid false), corrupt (valid false with the codec error)', async () => {
    expect(await f.service.verify(BUCKET, 'p/v2.zip')).toMatchObject({ valid: true, kind: 'delta', expectedSha256: sha256(v2), actualSha256: sha256(v2), size: v2.length });
    expect(await f.service.verify(BUCKET, 'p/t.txt')).toMatchObject({ valid: true, kind: 'direct', actualSha256: sha256(text) });

    mutateMeta('p/t.txt', { 'dg-file-sha256': sha256(Buffer.from('y')) });
    expect(await f.service.verify(BUCKET, 'p/t.txt')).toMatchObject({ valid: false, actualSha256: sha256(text) });

    const obj = f.storage.object(BUCKET, 'p/v2.zip.delta')!;
    const intact = obj.body;
    obj.body = intact.subarray(0, intact.length - 3);
    const corrupt = await f.service.verify(BUCKET, 'p/v2.zip');
    expect(corrupt.valid).toBe(false);
    expect(corrupt.error?.code).toMatch(/^ERR_DG_/);
    obj.body = intact;

    mutateMeta('p/v2.zip.delta', { 'dg-file-sha256': sha256(Buffer.from('y')) });
    expect(await f.service.verify(BUCKET, 'p/v2.zip')).toMatchObject({ valid: false, actualSha256: sha256(v2) });
  });

  describe('a zero-diff object (the reference itself)', () => {
    let codec: CountingCodec;
    let service: DeltaService;
    beforeEach(() => {
      codec = countingCodec();
      service = f.another({ codec });
    });

    test('get and openRead serve the cached reference and never decode', async () => {
      const dest = join(outDir, 'v1.zip');
      expect(await service.get(BUCKET, 'p/v1.zip', dest)).toEqual({ bucket: BUCKET, key: 'p/v1.zip', kind: 'delta', sha256: sha256(v1), size: v1.length });
      expect(readFileSync(dest).equals(v1)).toBe(true);
      expect(readdirSync(outDir)).toEqual(['v1.zip']);

      const { body, object } = await service.openRead(BUCKET, 'p/v1.zip');
      expect(object).toMatchObject({ kind: 'delta', size: v1.length });
      expect((await readAll(body)).equals(v1)).toBe(true);

      expect(codec.calls).toEqual({});
      expect(f.metrics.count('deltaglider.reference_cache.miss')).toBe(1);
      expect(f.metrics.count('deltaglider.reference_cache.hit')).toBe(1);
    });

    test('verify decodes the stored zero-diff delta: valid, and a damaged one is reported', async () => {
      expect(await service.verify(BUCKET, 'p/v1.zip')).toMatchObject({
        valid: true, kind: 'delta', expectedSha256: sha256(v1), actualSha256: sha256(v1), size: v1.length,
      });
      expect(codec.calls).toMatchObject({ createDecodeStream: 1 });
      // A download would still give the right bytes (from the reference), but the .delta
      // itself no longer decodes: verify must say so.
      const stored = f.storage.object(BUCKET, 'p/v1.zip.delta')!;
      stored.body = Buffer.from(stored.body);
      stored.body[stored.body.length - 1] ^= 0xff;
      const damaged = await service.verify(BUCKET, 'p/v1.zip');
      expect(damaged).toMatchObject({ valid: false, kind: 'delta', expectedSha256: sha256(v1) });
      expect(damaged.error?.code).toMatch(/^ERR_DG_(CORRUPT_DELTA|CHECKSUM)$/);
      const dest = join(outDir, 'still.zip');
      expect(await service.get(BUCKET, 'p/v1.zip', dest)).toMatchObject({ sha256: sha256(v1) });
    });

    test('get reports progress up to the full size', async () => {
      const seen: [number, number | undefined][] = [];
      await service.get(BUCKET, 'p/v1.zip', join(outDir, 'v1.zip'), { onProgress: (bytes, total) => seen.push([bytes, total]) });
      expect(seen.length).toBeGreaterThan(0);
      expect(seen[seen.length - 1]).toEqual([v1.length, v1.length]);
    });

    test('reference bytes replaced under the same metadata -> ERR_DG_REFERENCE_MISMATCH, nothing left', async () => {
      const forged = seededBytes(30_000, 998);
      f.storage.object(BUCKET, referenceKeyIn(f.storage, 'p'))!.body = forged;
      await expectFailedGet('p/v1.zip', 'ERR_DG_REFERENCE_MISMATCH', new RegExp(`${sha256(forged)}.*${sha256(v1)}`));
      await expect(service.openRead(BUCKET, 'p/v1.zip')).rejects.toMatchObject({ code: 'ERR_DG_REFERENCE_MISMATCH' });
    });

    test('a tampered cache entry is not used', async () => {
      await service.get(BUCKET, 'p/v1.zip', join(outDir, 'a'));
      await f.cache.tamper(sha256(v1), seededBytes(30_000, 5));
      expect(await service.get(BUCKET, 'p/v1.zip', join(outDir, 'b'))).toMatchObject({ sha256: sha256(v1) });
      expect(readFileSync(join(outDir, 'b')).equals(v1)).toBe(true);
    });

    test('an unwritable destination -> ERR_DG_IO naming it', async () => {
      const blocker = join(f.dir, 'blocker');
      writeFileSync(blocker, 'a file where a directory should be');
      await expect(service.get(BUCKET, 'p/v1.zip', join(blocker, 'x', 'out.zip'))).rejects.toMatchObject({
        code: 'ERR_DG_IO', message: expect.stringContaining(blocker),
      });
    });
  });
});
