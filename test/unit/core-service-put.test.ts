import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { decodeFile, inspectDelta } from '../../lib/codec';
import { BUCKET, layout, makeFixture, referenceKeyIn, seededBytes, sha256, similarTo, type Fixture } from '../helpers/core-fixture';
import { countingCodec } from '../helpers/counting-codec';

describe('DeltaService.put', () => {
  let f: Fixture;
  beforeEach(() => {
    f = makeFixture();
  });
  afterEach(() => f.cleanup());

  const v1 = seededBytes(40_000, 1);

  test('first candidate: a write-once reference plus a zero-diff delta, with exact metadata', async () => {
    const result = await f.service.put(f.file('app-1.zip', v1), BUCKET, 'rel/app-1.zip', { metadata: { build: '7' } });
    const refKey = referenceKeyIn(f.storage, 'rel');
    expect(refKey).toMatch(new RegExp(`^rel/\\.deltaglider/refs/${sha256(v1)}-[0-9a-f]{12}/reference\\.bin$`));
    expect(result).toMatchObject({ storedAs: 'reference', storedKey: 'rel/app-1.zip.delta', originalSize: v1.length, sha256: sha256(v1), referenceKey: refKey });
    expect(layout(f.storage)).toEqual([`rel/[ref ${sha256(v1).slice(0, 8)}]`, 'rel/app-1.zip.delta']);

    const ref = f.storage.object(BUCKET, refKey)!;
    expect(ref.body.equals(v1)).toBe(true);
    expect(ref.metadata).toEqual({
      'dg-tool': 'deltaglider-node/test', 'dg-source-name': 'app-1.zip', 'dg-file-sha256': sha256(v1),
      'dg-created-at': '2026-03-04T05:06:07.000Z', 'dg-note': 'reference',
    });

    const delta = f.storage.object(BUCKET, 'rel/app-1.zip.delta')!;
    expect(delta.body.length).toBeLessThan(200);
    expect(result.storedSize).toBe(delta.body.length);
    expect(delta.metadata).toEqual({
      build: '7',
      'dg-tool': 'deltaglider-node/test', 'dg-original-name': 'app-1.zip', 'dg-file-sha256': sha256(v1),
      'dg-file-size': String(v1.length), 'dg-created-at': '2026-03-04T05:06:07.000Z', 'dg-ref-key': refKey,
      'dg-ref-sha256': sha256(v1), 'dg-delta-size': String(delta.body.length), 'dg-delta-format': 'vcdiff',
      'dg-delta-cmd': 'deltaglider-node delta encode --source reference.bin app-1.zip app-1.zip.delta',
      'dg-note': 'zero-diff (reference identical)',
    });
    expect(f.metrics.count('deltaglider.upload{kind=reference}')).toBe(1);
  });

  test('first candidate: the zero-diff delta is written without encoding, and decodes to the file', async () => {
    const codec = countingCodec();
    const service = f.another({ codec });
    const big = seededBytes(9 * 1024 * 1024, 3); // more than one 8 MiB window
    const path = f.file('big.bin', big);
    const result = await service.put(path, BUCKET, 'rel/big.bin');
    expect(result).toMatchObject({ storedAs: 'reference', sha256: sha256(big), originalSize: big.length });
    expect(codec.calls).toEqual({ hashFile: 1, writeIdentityDelta: 1 });

    const deltaPath = f.file('big.delta', f.storage.object(BUCKET, 'rel/big.bin.delta')!.body);
    const info = await inspectDelta(deltaPath);
    expect(info.windows.map((w) => w.sourceSegment)).toEqual([
      { position: 0, length: 8 * 1024 * 1024 }, { position: 8 * 1024 * 1024, length: 1024 * 1024 },
    ]);
    expect(result.storedSize).toBe(info.size);
    const out = join(f.dir, 'big.out');
    await decodeFile(path, deltaPath, out, { expectedSha256: sha256(big) });
    expect(readFileSync(out).equals(big)).toBe(true);
  });

  test('second similar file: a small delta against the reference, rebuilt byte-exact', async () => {
    const v2 = similarTo(v1, 2);
    await f.service.put(f.file('app-1.zip', v1), BUCKET, 'rel/app-1.zip');
    const r2 = await f.service.put(f.file('app-2.zip', v2), BUCKET, 'rel/app-2.zip');
    expect(r2.storedAs).toBe('delta');
    expect(r2.storedSize).toBeLessThan(v2.length / 10);
    expect(r2.ratio).toBeCloseTo(r2.storedSize / v2.length);
    const meta = f.storage.object(BUCKET, 'rel/app-2.zip.delta')!.metadata;
    expect(meta['dg-ref-sha256']).toBe(sha256(v1));
    expect(meta['dg-file-sha256']).toBe(sha256(v2));
    expect(meta['dg-note']).toBeUndefined();
    expect(meta['dg-ref-key']).toBe(referenceKeyIn(f.storage, 'rel'));
    expect(f.storage.object(BUCKET, referenceKeyIn(f.storage, 'rel'))!.body.equals(v1)).toBe(true);
    expect(f.metrics.count('deltaglider.bytes_saved{kind=delta}')).toBe(v2.length - r2.storedSize);

    // Another run (fresh service, warm cache) and a cold cache both rebuild it exactly.
    for (const service of [f.another(), f.service]) {
      const out = join(f.dir, `out-${Math.random()}.zip`);
      const got = await service.get(BUCKET, 'rel/app-2.zip', out);
      expect(got).toEqual({ bucket: BUCKET, key: 'rel/app-2.zip', kind: 'delta', sha256: sha256(v2), size: v2.length });
      expect(readFileSync(out).equals(v2)).toBe(true);
      await f.cache.clear();
    }
    const out1 = join(f.dir, 'out1.zip');
    await f.service.get(BUCKET, 'rel/app-1.zip', out1);
    expect(readFileSync(out1).equals(v1)).toBe(true);
  });

  test('a delta above maxRatio is dropped: stored directly (reason ratio)', async () => {
    await f.service.put(f.file('app-1.zip', v1), BUCKET, 'rel/app-1.zip');
    // A third shared with the reference: the delta is about 2/3 of the file.
    const unrelated = Buffer.concat([v1.subarray(0, 13_000), seededBytes(27_000, 99)]);
    const r = await f.service.put(f.file('other.zip', unrelated), BUCKET, 'rel/other.zip');
    expect(r).toMatchObject({ storedAs: 'direct', directReason: 'ratio', storedKey: 'rel/other.zip', sha256: sha256(unrelated) });
    expect(f.storage.object(BUCKET, 'rel/other.zip')!.metadata).toMatchObject({ 'dg-compression': 'none', 'dg-file-size': '40000' });
    expect(f.storage.object(BUCKET, 'rel/other.zip.delta')).toBeUndefined();
    // ... unless the caller allows such a ratio.
    const r2 = await f.service.put(f.file('other2.zip', unrelated), BUCKET, 'rel/other2.zip', { maxRatio: 0.9 });
    expect(r2.storedAs).toBe('delta');
    expect(r2.ratio).toBeGreaterThan(0.5);
  });

  test('non-candidates, empty files and noDelta are stored directly with their metadata', async () => {
    const text = Buffer.from('plain text '.repeat(500));
    const r = await f.service.put(f.file('notes.txt', text), BUCKET, 'docs/notes.txt', { contentType: 'text/plain' });
    expect(r).toMatchObject({ storedAs: 'direct', directReason: 'not-a-candidate', ratio: 1 });
    const obj = f.storage.object(BUCKET, 'docs/notes.txt')!;
    expect(obj.contentType).toBe('text/plain');
    expect(obj.metadata).toEqual({
      'dg-tool': 'deltaglider-node/test', 'dg-original-name': 'notes.txt', 'dg-file-sha256': sha256(text),
      'dg-file-size': String(text.length), 'dg-created-at': '2026-03-04T05:06:07.000Z', 'dg-compression': 'none',
    });
    expect((await f.service.put(f.file('empty.zip', Buffer.alloc(0)), BUCKET, 'docs/empty.zip')).directReason).toBe('empty');
    expect((await f.service.put(f.file('a.zip', v1), BUCKET, 'docs/a.zip', { noDelta: true })).directReason).toBe('no-delta');
    expect(f.storage.keys(BUCKET)).toEqual(['docs/a.zip', 'docs/empty.zip', 'docs/notes.txt']);

    for (const [key, bytes] of [['docs/notes.txt', text], ['docs/empty.zip', Buffer.alloc(0)], ['docs/a.zip', v1]] as const) {
      const out = join(f.dir, 'o');
      const got = await f.service.get(BUCKET, key, out);
      expect(got.kind).toBe('direct');
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
  });

  test('an ELF binary without extension is a candidate by content', async () => {
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), seededBytes(10_000, 5)]);
    expect((await f.service.put(f.file('tool', elf), BUCKET, 'bin/tool')).storedAs).toBe('reference');
  });

  test('re-upload in the other form removes the stale one', async () => {
    await f.service.put(f.file('app-1.zip', v1), BUCKET, 'rel/app-1.zip');
    await f.service.put(f.file('app-2.zip', similarTo(v1, 3)), BUCKET, 'rel/app-2.zip');
    expect(f.storage.keys(BUCKET)).toContain('rel/app-2.zip.delta');
    await f.service.put(f.file('x.zip', seededBytes(40_000, 77)), BUCKET, 'rel/app-2.zip'); // now direct (ratio)
    const ref = `rel/[ref ${sha256(v1).slice(0, 8)}]`;
    expect(layout(f.storage)).toEqual([ref, 'rel/app-1.zip.delta', 'rel/app-2.zip']);
    await f.service.put(f.file('y.zip', similarTo(v1, 4)), BUCKET, 'rel/app-2.zip'); // delta again
    expect(layout(f.storage)).toEqual([ref, 'rel/app-1.zip.delta', 'rel/app-2.zip.delta']);
  });

  test('a file named x.delta is stored directly without clobbering the delta of x', async () => {
    await f.service.put(f.file('app.zip', v1), BUCKET, 'rel/app.zip');
    await expect(f.service.put(f.file('app.zip.delta', Buffer.from('text')), BUCKET, 'rel/app.zip.delta')).rejects.toMatchObject({ code: 'ERR_DG_ALREADY_EXISTS' });
    await f.service.put(f.file('notes.delta', Buffer.from('text')), BUCKET, 'rel/notes.delta');
    const out = join(f.dir, 'n');
    expect((await f.service.get(BUCKET, 'rel/notes.delta', out)).kind).toBe('direct');
    expect(readFileSync(out, 'utf8')).toBe('text');
    expect((await f.service.head(BUCKET, 'rel/notes'))).toBeNull();
  });

  test('a stream is spooled and stored like a file', async () => {
    const r = await f.service.put(Readable.from([v1.subarray(0, 1000), v1.subarray(1000)]), BUCKET, 's/app.zip');
    expect(r).toMatchObject({ storedAs: 'reference', sha256: sha256(v1), originalSize: v1.length });
    expect(f.storage.object(BUCKET, referenceKeyIn(f.storage, 's'))!.body.equals(v1)).toBe(true);
  });

  test('bad input: reserved key, missing file, directory', async () => {
    await expect(f.service.put(f.file('a.zip', v1), BUCKET, 'x/reference.bin')).rejects.toMatchObject({ code: 'ERR_DG_INVALID_ARGUMENT' });
    await expect(f.service.put(join(f.dir, 'nope.zip'), BUCKET, 'x/a.zip')).rejects.toMatchObject({ code: 'ERR_DG_NOT_FOUND' });
    await expect(f.service.put(f.dir, BUCKET, 'x/a.zip')).rejects.toMatchObject({ code: 'ERR_DG_INVALID_ARGUMENT' });
    expect(f.storage.keys(BUCKET)).toEqual([]);
  });
});

describe('DeltaService.put with a broken reference', () => {
  test('a reference without a usable dg-file-sha256: stored directly (bad-reference), not failed', async () => {
    const f = makeFixture();
    try {
      f.storage.setObject(BUCKET, 'x/reference.bin', seededBytes(1000, 1), { 'dg-file-sha256': 'garbage' });
      const r = await f.service.put(f.file('a.zip', seededBytes(5000, 2)), BUCKET, 'x/a.zip');
      expect(r).toMatchObject({ storedAs: 'direct', directReason: 'bad-reference' });
    } finally {
      f.cleanup();
    }
  });

  test('progress callbacks report bytes sent and received', async () => {
    const f = makeFixture();
    try {
      const bytes = seededBytes(20_000, 3);
      const up: [number, number | undefined][] = [];
      await f.service.put(f.file('a.bin', bytes), BUCKET, 'x/a.bin', { noDelta: true, onProgress: (n, t) => up.push([n, t]) });
      expect(up.at(-1)![0]).toBe(up.at(-1)![1]);
      const down: [number, number | undefined][] = [];
      await f.service.get(BUCKET, 'x/a.bin', join(f.dir, 'o'), { onProgress: (n, t) => down.push([n, t]) });
      expect(down.at(-1)).toEqual([20_000, 20_000]);
      expect(down.length).toBeGreaterThan(1);
    } finally {
      f.cleanup();
    }
  });
});

describe('DeltaService reference reuse across puts', () => {
  test('many uploads into one deltaspace fetch the reference once; close() lets go of it', async () => {
    const f = makeFixture();
    try {
      const base = seededBytes(20_000, 8);
      await f.service.put(f.file('0.zip', base), BUCKET, 'm/0.zip');
      for (let i = 1; i <= 3; i++) {
        expect((await f.service.put(f.file(`${i}.zip`, similarTo(base, i)), BUCKET, `m/${i}.zip`)).storedAs).toBe('delta');
      }
      const lookups = (): number => f.metrics.count('deltaglider.reference_cache.hit') + f.metrics.count('deltaglider.reference_cache.miss');
      expect(lookups()).toBe(1);
      await f.service.close();
      await f.service.put(f.file('4.zip', similarTo(base, 4)), BUCKET, 'm/4.zip');
      expect(lookups()).toBe(2);
      for (let i = 1; i <= 4; i++) {
        const out = join(f.dir, `o${i}`);
        await f.service.get(BUCKET, `m/${i}.zip`, out);
        expect(readFileSync(out).equals(similarTo(base, i))).toBe(true);
      }
    } finally {
      f.cleanup();
    }
  });
});
