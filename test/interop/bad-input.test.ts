/**
 * Hostile and damaged deltas through lib/codec's public API: every truncation point of a few
 * small vectors, many single-byte flips, a wrong reference, absurd declared sizes. Each must
 * end in a DeltaGliderError with a codec code: never a crash, never a hang, never an
 * untyped error, and never an output file left behind by decodeFile.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { createDecodeStream, decodeFile } from '../../lib/codec';
import { inspectDelta } from '../../lib/codec/inspect';
import type { DecodeOptions } from '../../lib/codec/types';
import { DeltaGliderError } from '../../lib/errors';
import { prng } from '../helpers/gen-data';
import { addWindow, fileHeader, varint, window } from '../helpers/vcdiff-build';
import { VECTORS } from '../helpers/xdelta3-vectors';

const CODEC_FAILURES = [
  'ERR_DG_CORRUPT_DELTA',
  'ERR_DG_CHECKSUM',
  'ERR_DG_SOURCE_MISMATCH',
  'ERR_DG_UNSUPPORTED',
  'ERR_DG_LIMIT',
  'ERR_DG_SHA256_MISMATCH',
];

interface Case {
  name: string;
  source: string | null;
  delta: string;
  target_sha256: string;
}
const manifest: Case[] = JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8')).cases;
const byName = (name: string) => manifest.find((c) => c.name === name)!;

interface Loaded {
  delta: Buffer;
  reference: Buffer | null;
  target_sha256: string;
}
function load(name: string): Loaded {
  const c = byName(name);
  return {
    delta: readFileSync(join(VECTORS, c.delta)),
    reference: c.source ? readFileSync(join(VECTORS, c.source)) : null,
    target_sha256: c.target_sha256,
  };
}

/** Decodes bytes in memory; resolves with the output or rejects with the stream's error. */
function decodeBuffer(delta: Buffer, options: DecodeOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const stream = createDecodeStream(options);
    stream.on('data', (b: Buffer) => out.push(b));
    stream.on('end', () => resolve(Buffer.concat(out)));
    stream.on('error', reject);
    Readable.from([delta]).pipe(stream);
  });
}

/** The error code, or 'ok' when decoding succeeded. Anything but a DeltaGliderError fails. */
async function outcome(delta: Buffer, options: DecodeOptions): Promise<string> {
  try {
    await decodeBuffer(delta, options);
    return 'ok';
  } catch (err) {
    if (!(err instanceof DeltaGliderError)) throw new Error(`untyped error: ${String(err)}`);
    return err.code;
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('truncated deltas', () => {
  test.each(['inplace-edit', 'multiwindow-W16384', 'empty-source', 'nosource-selfcopy-S-none'])(
    'every truncation point of %s',
    async (name) => {
      const v = load(name);
      const boundaries = new Set((await inspectDelta(v.delta)).windows.map((w) => w.offset));
      const bad: string[] = [];
      for (let len = 0; len < v.delta.length; len++) {
        const cut = v.delta.subarray(0, len);
        // With the expected SHA-256 nothing short of the full delta may succeed.
        const verified = await outcome(cut, { reference: v.reference, expectedSha256: v.target_sha256 });
        if (!CODEC_FAILURES.includes(verified)) bad.push(`${len}: ${verified} (with sha256)`);
        // Without it, a cut inside a window (not between windows) must still be detected.
        if (!boundaries.has(len)) {
          const plain = await outcome(cut, { reference: v.reference });
          if (plain !== 'ERR_DG_CORRUPT_DELTA') bad.push(`${len}: ${plain} (no sha256)`);
        }
      }
      expect(bad).toEqual([]);
    },
  );
});

describe('single-byte flips', () => {
  test.each(['mixed-default', 'mixed-plain-rfc', 'multiwindow-W16384', 'random-nosource', 'big-default-B'])(
    '%s: 1000 random flips',
    async (name) => {
      const v = load(name);
      const next = prng(name.length * 7919);
      const bad: string[] = [];
      for (let i = 0; i < 1000; i++) {
        const damaged = Buffer.from(v.delta);
        const at = next() % damaged.length;
        damaged[at] ^= 1 + (next() % 255);
        const result = await outcome(damaged, { reference: v.reference, expectedSha256: v.target_sha256 });
        // 'ok' is possible only where a flip does not change the output (e.g. the app header),
        // and then the SHA-256 check proved the output exact.
        if (result !== 'ok' && !CODEC_FAILURES.includes(result)) bad.push(`byte ${at}: ${result}`);
      }
      expect(bad).toEqual([]);
    },
  );

  test('a flip inside a checksummed window is caught even without a SHA-256', async () => {
    const v = load('mixed-S-none'); // no secondary compression: data bytes are stored as-is
    const info = await inspectDelta(v.delta);
    const w = info.windows[0];
    const dataStart = info.size - w.dataLength - w.instructionsLength - w.addressesLength;
    const damaged = Buffer.from(v.delta);
    damaged[dataStart + 10] ^= 0x55;
    expect(await outcome(damaged, { reference: v.reference })).toBe('ERR_DG_CHECKSUM');
    expect(await outcome(damaged, { reference: v.reference, verifyChecksum: false })).toBe('ok');
  });
});

describe('wrong reference', () => {
  const v = load('mixed-default');

  test('same size, different bytes: the window checksum fails', async () => {
    const wrong = Buffer.from(v.reference!);
    const next = prng(42);
    for (let i = 0; i < 2000; i++) wrong[next() % wrong.length] ^= 0xff;
    expect(await outcome(v.delta, { reference: wrong })).toBe('ERR_DG_CHECKSUM');
  });

  test('too short for the source segment', async () => {
    const short = v.reference!.subarray(0, 1000);
    expect(['ERR_DG_SOURCE_MISMATCH', 'ERR_DG_CORRUPT_DELTA']).toContain(await outcome(v.delta, { reference: short }));
  });

  test('missing when the delta needs one', async () => {
    expect(CODEC_FAILURES).toContain(await outcome(v.delta, { reference: null }));
  });

  test('not a delta at all', async () => {
    expect(await outcome(Buffer.from('PK\x03\x04 this is a zip file, not VCDIFF'), {})).toBe('ERR_DG_CORRUPT_DELTA');
    expect(await outcome(Buffer.alloc(0), {})).toBe('ERR_DG_CORRUPT_DELTA');
  });
});

describe('absurd declared sizes (hand-built)', () => {
  const ref = Buffer.alloc(4096, 7);
  const addOne = Buffer.concat([Buffer.from([1]), varint(1)]); // ADD size 1 (explicit size)
  const absurd: [string, Buffer][] = [
    ['4 GiB target window', Buffer.concat([fileHeader(), window({ targetLength: 0xffffffff, data: Buffer.from('x'), instructions: addOne })])],
    ['17 MiB target window', Buffer.concat([fileHeader(), window({ targetLength: 17 << 20, data: Buffer.from('x'), instructions: addOne })])],
    ['data section declared 4 GiB', Buffer.concat([fileHeader(), window({ targetLength: 1, declared: { data: 0xfffffff0 } })])],
    ['delta encoding length 4 GiB', Buffer.concat([fileHeader(), window({ targetLength: 1, deltaLength: 0xffffffff })])],
    ['source segment 4 GiB at 2^40', Buffer.concat([fileHeader(), window({ source: { length: 0xffffffff, position: 2 ** 40 }, targetLength: 0 })])],
    ['application header 2 GiB', Buffer.concat([fileHeader({ indicator: 4 }), varint(2 ** 31)])],
    ['ADD of 4 GiB in a 1-byte window', Buffer.concat([fileHeader(), window({ targetLength: 1, data: Buffer.from('x'), instructions: Buffer.concat([Buffer.from([1]), varint(0xffffffff)]) })])],
    ['COPY from beyond here', Buffer.concat([fileHeader(), window({ targetLength: 4, instructions: Buffer.from([20]), addresses: varint(1000) })])],
    ['varint of 70 bits', Buffer.concat([fileHeader(), Buffer.from([0]), varint(2n ** 70n)])],
    ['LZMA section claiming 4 GiB uncompressed', Buffer.concat([fileHeader({ secondaryId: 2 }), window({ targetLength: 1, deltaIndicator: 1, data: Buffer.concat([varint(0xffffffff), Buffer.alloc(12)]), instructions: addOne })])],
    ['window after a good one with both SOURCE and TARGET set', Buffer.concat([fileHeader(), addWindow(Buffer.from('ok')), Buffer.from([3, 1, 0, 5, 1, 0, 0, 0, 0])])],
  ];

  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dg-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(absurd)('%s -> a coded error, nothing left on disk', async (name, delta) => {
    const deltaPath = join(dir, 'in.vcdiff');
    writeFileSync(deltaPath, delta);
    const refPath = join(dir, 'ref.bin');
    writeFileSync(refPath, ref);
    const out = join(dir, 'out.bin');
    const err = await decodeFile(refPath, deltaPath, out).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeltaGliderError);
    expect(CODEC_FAILURES).toContain((err as DeltaGliderError).code);
    expect(readdirSync(dir).sort()).toEqual(['in.vcdiff', 'ref.bin']);
    // The in-memory path agrees that it fails.
    expect(CODEC_FAILURES).toContain(await outcome(delta, { reference: ref }));
  });

  test('a hand-built valid delta decodes (the builder itself is right)', async () => {
    const delta = Buffer.concat([fileHeader(), addWindow(Buffer.from('hello ')), addWindow(Buffer.from('world'))]);
    const out = await decodeBuffer(delta, {});
    expect(out.toString()).toBe('hello world');
    expect(sha256(out)).toBe(sha256(Buffer.from('hello world')));
  });

  test('decodeFile on truncated vectors leaves no output behind', async () => {
    const v = load('multiwindow-W16384');
    const refPath = join(VECTORS, byName('multiwindow-W16384').source!);
    for (const len of [3, 20, 100, Math.floor(v.delta.length / 2), v.delta.length - 1]) {
      const deltaPath = join(dir, 'in.vcdiff');
      writeFileSync(deltaPath, v.delta.subarray(0, len));
      const out = join(dir, 'out.bin');
      await expect(decodeFile(refPath, deltaPath, out, { expectedSha256: v.target_sha256 })).rejects.toBeInstanceOf(
        DeltaGliderError,
      );
      expect(readdirSync(dir).filter((f) => f !== 'in.vcdiff' && f !== 'ref.bin')).toEqual([]);
    }
  });
});
