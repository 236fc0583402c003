/**
 * lib/codec streams and file helpers: property round trips over random references, edits
 * and chunkings; backpressure; file helpers that leave nothing behind on failure.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import fc from 'fast-check';

import {
  CodecStream,
  createDecodeStream,
  createEncodeStream,
  createHashStream,
  decodeFile,
  encodeFile,
  hashFile,
  openReference,
  SecondaryCompression,
  sha256Impl,
} from '../../lib/codec';
import { DeltaGliderError } from '../../lib/errors';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Splits `data` into chunks whose sizes cycle through `sizes`. */
function split(data: Buffer, sizes: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0, i = 0; offset < data.length; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(data.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

async function run(codec: CodecStream, chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), codec, async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return Buffer.concat(out);
}

async function failureOf(promise: Promise<unknown>): Promise<DeltaGliderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeltaGliderError);
  return err as DeltaGliderError;
}

/** A target made from pieces of the reference and new bytes: copies, moves, inserts, deletes. */
const pieceArb = fc.oneof(
  fc.record({ start: fc.nat(), length: fc.integer({ min: 1, max: 6000 }) }),
  fc.uint8Array({ minLength: 1, maxLength: 400 }),
);

function buildTarget(reference: Uint8Array, pieces: Array<{ start: number; length: number } | Uint8Array>): Buffer {
  const parts = pieces.map((p) => {
    if (p instanceof Uint8Array || ArrayBuffer.isView(p)) return Buffer.from(p as Uint8Array);
    if (reference.length === 0) return Buffer.alloc(0);
    const start = p.start % reference.length;
    return Buffer.from(reference.subarray(start, start + p.length));
  });
  return Buffer.concat(parts);
}

const chunkSizesArb = fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 6 });

describe('round trips (property)', () => {
  it.each<SecondaryCompression>(['none', 'lzma', 'auto'])(
    'encode -> decode is exact, with secondary %s',
    async (secondary) => {
      await fc.assert(
        fc.asyncProperty(
          fc.uint8Array({ maxLength: 30_000 }),
          fc.array(pieceArb, { maxLength: 10 }),
          chunkSizesArb,
          chunkSizesArb,
          fc.constantFrom(16 * 1024, 32 * 1024, undefined),
          // small output buffers force the "output full: call again" and partial-input paths
          fc.constantFrom(64, 1000, undefined),
          fc.constantFrom(64, 777, undefined),
          async (refBytes, pieces, encodeChunks, decodeChunks, windowSize, encodeOut, decodeOut) => {
            const reference = Buffer.from(refBytes);
            const target = buildTarget(reference, pieces);
            const encoder = createEncodeStream({ reference, secondary, windowSize, chunkSize: encodeOut });
            const delta = await run(encoder, split(target, encodeChunks));
            expect(encoder.result).toEqual({ sha256: sha256(target), size: target.length, deltaSize: delta.length });
            const decoder = createDecodeStream({ reference, expectedSha256: sha256(target), chunkSize: decodeOut });
            const back = await run(decoder, split(delta, decodeChunks));
            expect(back.equals(target)).toBe(true);
            expect(decoder.result).toEqual({ sha256: sha256(target), size: target.length, deltaSize: delta.length });
          },
        ),
        { numRuns: 40 },
      );
    },
  );

  it('handles an empty target and no reference', async () => {
    for (const reference of [null, Buffer.from('some reference')]) {
      const encoder = createEncodeStream({ reference });
      const delta = await run(encoder, []);
      expect(delta.length).toBeGreaterThan(0); // at least the VCDIFF header
      expect(encoder.result).toEqual({ sha256: sha256(Buffer.alloc(0)), size: 0, deltaSize: delta.length });
      const back = await run(createDecodeStream({ reference }), [delta]);
      expect(back.length).toBe(0);
    }
    const target = randomBytes(50_000);
    const selfRepeating = Buffer.concat([target, target, target]);
    const encoder = createEncodeStream({ reference: null });
    const delta = await run(encoder, split(selfRepeating, [7000]));
    expect(delta.length).toBeLessThan(selfRepeating.length);
    expect((await run(createDecodeStream({}), [delta])).equals(selfRepeating)).toBe(true);
  });

  it('fails with ERR_DG_SHA256_MISMATCH when the target is not the expected one', async () => {
    const reference = randomBytes(20_000);
    const target = Buffer.concat([reference.subarray(100, 15_000), randomBytes(100)]);
    const delta = await run(createEncodeStream({ reference }), [target]);
    const wrong = sha256(Buffer.from('something else'));
    const decoder = createDecodeStream({ reference, expectedSha256: wrong });
    const err = await failureOf(run(decoder, [delta]));
    expect(err.code).toBe('ERR_DG_SHA256_MISMATCH');
    expect(err.message).toContain(sha256(target));
    expect(decoder.result).toBeUndefined();
    expect(decoder.destroyed).toBe(true);
  });

  it('turns codec errors into DeltaGliderError with the call-site stack', async () => {
    const decoder = createDecodeStream({ reference: null });
    const err = await failureOf(run(decoder, [Buffer.from('definitely not a delta')]));
    expect(err.code).toBe('ERR_DG_CORRUPT_DELTA');
    expect(err.stack).toContain('codec-streams.test.ts');
    expect(decoder.destroyed).toBe(true);
  });

  it('reports bad options and missing reference files as coded errors', async () => {
    const missing = await failureOf(run(createEncodeStream({ reference: '/nonexistent/ref.bin' }), [Buffer.from('x')]));
    expect(missing.code).toBe('ERR_DG_IO');
    expect(missing.message).toContain('ENOENT');
    const badWindow = await failureOf(run(createEncodeStream({ windowSize: 10 }), [Buffer.from('x')]));
    expect(badWindow.code).toBe('ERR_DG_INVALID_ARGUMENT');
    expect(badWindow.message).toContain('windowSize');
    const badHash = await failureOf(run(createDecodeStream({ expectedSha256: 'abc' }), []));
    expect(badHash.code).toBe('ERR_DG_INVALID_ARGUMENT');
  });
});

describe('backpressure', () => {
  /** Feeds `total` bytes of `make(i)` chunks lazily and counts what the codec pulled. */
  function countingSource(chunk: Buffer, count: number): { stream: Readable; pulled: () => number } {
    let pulled = 0;
    let i = 0;
    const stream = new Readable({
      highWaterMark: chunk.length,
      read() {
        if (i++ >= count) return this.push(null);
        pulled += chunk.length;
        this.push(chunk);
      },
    });
    return { stream, pulled: () => pulled };
  }

  const settle = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  it('a paused consumer stops the encoder from consuming input', async () => {
    // Big input chunks, each worth 64 windows of incompressible output: the stream's own
    // per-chunk backpressure is not enough, the loop must stop inside a chunk.
    const chunk = randomBytes(1024 * 1024);
    const total = 16; // 16 MiB if nothing held it back
    const { stream, pulled } = countingSource(chunk, total);
    const encoder = createEncodeStream({ reference: null, windowSize: 16 * 1024, secondary: 'none' });
    stream.pipe(encoder);
    await settle(400);
    expect(pulled()).toBeLessThanOrEqual(3 * chunk.length);
    expect(encoder.readableLength).toBeLessThan(512 * 1024);
    const before = pulled();
    await settle(200);
    expect(pulled()).toBe(before); // really stopped, not just slow

    // Resuming drains everything, and the delta still decodes.
    const parts: Buffer[] = [];
    encoder.on('data', (b: Buffer) => parts.push(b));
    await new Promise((resolve) => encoder.on('end', resolve));
    expect(pulled()).toBe(total * chunk.length);
    const target = Buffer.concat(Array.from({ length: total }, () => chunk));
    const back = await run(createDecodeStream({}), [Buffer.concat(parts)]);
    expect(back.equals(target)).toBe(true);
  });

  it('a paused consumer bounds the decoder output held in memory', async () => {
    const reference = randomBytes(1024 * 1024);
    const target = Buffer.concat(Array.from({ length: 12 }, () => reference)); // 12 MiB
    const delta = await run(createEncodeStream({ reference }), split(target, [1 << 20]));
    expect(delta.length).toBeLessThan(64 * 1024);
    const decoder = createDecodeStream({ reference });
    decoder.end(delta);
    await settle(400);
    expect(decoder.readableLength).toBeLessThan(1024 * 1024);
    const sink: Buffer[] = [];
    await pipeline(
      decoder,
      new Writable({
        write(b: Buffer, _e, cb) {
          sink.push(b);
          cb();
        },
      }),
    );
    expect(Buffer.concat(sink).equals(target)).toBe(true);
    expect(decoder.result?.sha256).toBe(sha256(target));
  });

  it('keeps the event loop responsive during heavy encoding (the work is off the JS thread)', async () => {
    // LZMA over incompressible windows is the slowest thing the encoder does: were it run
    // on the JS thread, a 10 ms timer would stall for nearly the whole encode. Off the
    // thread, only scheduling noise (GC, a busy shared machine) delays it.
    const target = randomBytes(2 * 1024 * 1024);
    let stalled = 0; // time the timer fired late by more than 40 ms, summed
    let last = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      if (now - last > 50) stalled += now - last - 10;
      last = now;
    }, 10);
    const started = performance.now();
    const encoder = createEncodeStream({ reference: null, secondary: 'lzma', windowSize: 128 * 1024 });
    await run(encoder, split(target, [256 * 1024]));
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(stalled).toBeLessThan(elapsed * 0.5);
  });

  it('destroying a stream mid-write neither crashes nor calls back', async () => {
    const reference = randomBytes(512 * 1024);
    const encoder = createEncodeStream({ reference });
    encoder.write(randomBytes(2 * 1024 * 1024));
    await new Promise((resolve) => setImmediate(resolve));
    encoder.destroy();
    await settle(200);
    expect(encoder.destroyed).toBe(true);
    expect(encoder.result).toBeUndefined();
  });
});

describe('files', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-codec-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, data?: Buffer): string => {
    const p = path.join(dir, name);
    if (data) fs.writeFileSync(p, data);
    return p;
  };

  it('encodeFile / decodeFile round trip through paths and shared handles', async () => {
    const refBytes = randomBytes(200_000);
    const target = Buffer.concat([refBytes.subarray(1000, 150_000), randomBytes(5000), refBytes.subarray(0, 30_000)]);
    const refPath = file('reference.bin', refBytes);
    const targetPath = file('target.bin', target);
    const encoded = await encodeFile(refPath, targetPath, file('target.bin.delta'), { appHeader: 'target.bin//reference.bin/' });
    expect(encoded).toEqual({ sha256: sha256(target), size: target.length, deltaSize: fs.statSync(file('target.bin.delta')).size });
    const decoded = await decodeFile(refPath, file('target.bin.delta'), file('out.bin'), { expectedSha256: encoded.sha256 });
    expect(decoded).toEqual(encoded);
    expect(fs.readFileSync(file('out.bin')).equals(target)).toBe(true);
    expect(fs.readdirSync(dir).filter((n) => n.includes('dg-tmp'))).toEqual([]);

    const handle = openReference(refPath);
    expect(handle.size).toBe(refBytes.length);
    await handle.buildIndex();
    const results = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const t = Buffer.concat([refBytes.subarray(i * 1000, 100_000), Buffer.from(`build ${i}`)]);
        const r = await encodeFile(handle, file(`t${i}`, t), file(`t${i}.delta`));
        await decodeFile(handle, file(`t${i}.delta`), file(`t${i}.out`));
        expect(fs.readFileSync(file(`t${i}.out`)).equals(t)).toBe(true);
        return r.sha256;
      }),
    );
    expect(new Set(results).size).toBe(4);
    handle.close();
    expect(handle.closed).toBe(true);
    const closed = await failureOf(encodeFile(handle, targetPath, file('x.delta')));
    expect(closed.code).toBe('ERR_DG_INVALID_ARGUMENT');
    expect(fs.existsSync(file('x.delta'))).toBe(false);
  });

  it('decodeFile leaves nothing behind on a corrupt delta or a wrong reference', async () => {
    const refBytes = randomBytes(100_000);
    const target = Buffer.concat([refBytes.subarray(0, 80_000), randomBytes(2000)]);
    const refPath = file('reference.bin', refBytes);
    const deltaPath = file('t.delta');
    const { sha256: expected } = await encodeFile(refPath, file('t.bin', target), deltaPath, { secondary: 'none' });
    const delta = fs.readFileSync(deltaPath);
    const previous = Buffer.from('previous content must survive a failed decode');
    const outPath = file('out.bin', previous);
    const before = fs.readdirSync(dir).sort();

    const corrupt = Buffer.from(delta);
    corrupt.fill(0xff, 20, 60);
    const corruptErr = await failureOf(decodeFile(refPath, file('corrupt.delta', corrupt), outPath, { expectedSha256: expected }));
    expect(corruptErr.code).toMatch(/^ERR_DG_(CORRUPT_DELTA|CHECKSUM|LIMIT|SOURCE_MISMATCH|SHA256_MISMATCH)$/);
    const truncatedErr = await failureOf(decodeFile(refPath, file('trunc.delta', delta.subarray(0, delta.length - 10)), outPath));
    expect(truncatedErr.code).toBe('ERR_DG_CORRUPT_DELTA');

    const otherRef = file('other.bin', randomBytes(100_000));
    const wrongRef = await failureOf(decodeFile(otherRef, deltaPath, outPath, { expectedSha256: expected }));
    expect(wrongRef.code).toMatch(/^ERR_DG_(CHECKSUM|SOURCE_MISMATCH|SHA256_MISMATCH)$/);
    const tooSmall = await failureOf(decodeFile(Buffer.alloc(10), deltaPath, outPath));
    expect(tooSmall.code).toMatch(/^ERR_DG_(SOURCE_MISMATCH|CHECKSUM)$/);

    const after = fs.readdirSync(dir).filter((n) => !['corrupt.delta', 'trunc.delta', 'other.bin'].includes(n));
    expect(after.sort()).toEqual(before);
    expect(fs.readFileSync(outPath).equals(previous)).toBe(true);
  });

  it('encodeFile leaves nothing behind when the target or reference is missing', async () => {
    const err = await failureOf(encodeFile(null, file('missing.bin'), file('m.delta')));
    expect(err.code).toBe('ERR_DG_IO');
    expect(err.stack).toContain('codec-streams.test.ts');
    const refErr = await failureOf(encodeFile(file('nope.bin'), file('t.bin', randomBytes(10)), file('m.delta')));
    expect(refErr.code).toBe('ERR_DG_IO');
    expect(fs.readdirSync(dir)).toEqual(['t.bin']);
  });
});

describe('hashing', () => {
  it('hashFile and createHashStream agree with node:crypto', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200_000 }), chunkSizesArb, async (bytes, sizes) => {
        const data = Buffer.from(bytes);
        const stream = createHashStream();
        const passed = await run(stream as unknown as CodecStream, split(data, sizes.map((s) => s * 20)));
        expect(passed.equals(data)).toBe(true);
        expect(stream.digest).toBe(sha256(data));
        expect(stream.size).toBe(data.length);
      }),
      { numRuns: 30 },
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-hash-'));
    try {
      const data = randomBytes(3 * 1024 * 1024 + 17);
      fs.writeFileSync(path.join(dir, 'f'), data);
      expect(await hashFile(path.join(dir, 'f'))).toEqual({ sha256: sha256(data), size: data.length });
      expect((await failureOf(hashFile(path.join(dir, 'missing')))).code).toBe('ERR_DG_IO');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(['sha-ni', 'portable']).toContain(sha256Impl());
  });
});
