/**
 * writeIdentityDelta: the zero-diff delta written without reading the file. Our decoder and
 * the real xdelta3 binary must both rebuild the file from it, at window boundaries too.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

import { createDecodeStream, decodeFile, inspectDelta, writeIdentityDelta } from '../../lib/codec';
import { IDENTITY_WINDOW_SIZE, varint } from '../../lib/codec/identity-delta';
import { DeltaGliderError } from '../../lib/errors';
import { randomBytes } from '../helpers/gen-data';

const MiB = 1024 * 1024;
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-identity-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function hasXdelta3(): boolean {
  try {
    execFileSync('xdelta3', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('varint', () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x81, 0x00]],
    [16384, [0x81, 0x80, 0x00]],
    [123456789, [0xba, 0xef, 0x9a, 0x15]],
  ])('%d encodes as RFC 3284 says', (value, bytes) => {
    expect(varint(value)).toEqual(bytes);
  });

  it('encodes offsets beyond 32 bits', () => {
    // 2^35 = 1 followed by five zero 7-bit digits
    expect(varint(2 ** 35)).toEqual([0x81, 0x80, 0x80, 0x80, 0x80, 0x00]);
  });
});

const W = IDENTITY_WINDOW_SIZE;
const SIZES: [string, number][] = [
  ['empty', 0],
  ['1 byte', 1],
  ['window - 1', W - 1],
  ['one window', W],
  ['window + 1', W + 1],
  ['~20 MiB', 20 * MiB + 12345],
];

describe.each(SIZES)('identity delta of a %s file', (_label, size) => {
  let refPath: string;
  let deltaPath: string;
  let data: Buffer;
  let deltaSize: number;

  beforeAll(async () => {
    data = randomBytes(size, size + 7);
    refPath = path.join(dir, `ref-${size}`);
    deltaPath = path.join(dir, `delta-${size}`);
    fs.writeFileSync(refPath, data);
    deltaSize = await writeIdentityDelta(size, deltaPath);
  });

  it('returns the size it wrote and stays tiny', () => {
    expect(fs.statSync(deltaPath).size).toBe(deltaSize);
    const windows = Math.max(1, Math.ceil(size / W));
    expect(deltaSize).toBeLessThanOrEqual(5 + 24 * windows);
  });

  it('has one window per 8 MiB, each copying its own source segment', async () => {
    const info = await inspectDelta(deltaPath);
    expect(info.headerIndicator).toBe(0);
    expect(info.secondaryCompressor).toBe('none');
    expect(info.targetSize).toBe(size);
    expect(info.checksums).toBe(false);
    expect(info.windows).toHaveLength(Math.max(1, Math.ceil(size / W)));
    info.windows.forEach((w, i) => {
      expect(w.targetLength).toBe(Math.min(W, size - i * W));
      expect(w.dataLength).toBe(0);
      if (size === 0) expect(w.sourceSegment).toBeUndefined();
      else expect(w.sourceSegment).toEqual({ position: i * W, length: w.targetLength });
    });
  });

  it('is rebuilt by createDecodeStream', async () => {
    const out: Buffer[] = [];
    const decoder = createDecodeStream({ reference: refPath, expectedSha256: sha256(data) });
    await pipeline(fs.createReadStream(deltaPath), decoder, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    });
    expect(Buffer.concat(out).equals(data)).toBe(true);
    expect(decoder.result).toMatchObject({ size, sha256: sha256(data), deltaSize });
  });

  it('is rebuilt by decodeFile', async () => {
    const outPath = path.join(dir, `out-${size}`);
    const result = await decodeFile(refPath, deltaPath, outPath, { expectedSha256: sha256(data) });
    expect(result.size).toBe(size);
    expect(fs.readFileSync(outPath).equals(data)).toBe(true);
  });

  (hasXdelta3() ? it : it.skip)('is rebuilt by xdelta3 -d', () => {
    const outPath = path.join(dir, `xd-${size}`);
    execFileSync('xdelta3', ['-d', '-f', '-s', refPath, deltaPath, outPath], { stdio: 'pipe' });
    expect(fs.readFileSync(outPath).equals(data)).toBe(true);
  });
});

describe('writeIdentityDelta against another reference', () => {
  it('does not rebuild a different file of the same size (the delta is really a copy)', async () => {
    const a = randomBytes(4096, 1);
    const b = randomBytes(4096, 2);
    const refPath = path.join(dir, 'other-ref');
    const deltaPath = path.join(dir, 'other-delta');
    fs.writeFileSync(refPath, b);
    await writeIdentityDelta(a.length, deltaPath);
    const out: Buffer[] = [];
    await pipeline(fs.createReadStream(deltaPath), createDecodeStream({ reference: refPath }), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    });
    expect(Buffer.concat(out).equals(b)).toBe(true);
    await expect(
      pipeline(
        fs.createReadStream(deltaPath),
        createDecodeStream({ reference: refPath, expectedSha256: sha256(a) }),
        async (source: AsyncIterable<Buffer>) => {
          for await (const _ of source);
        },
      ),
    ).rejects.toMatchObject({ code: 'ERR_DG_SHA256_MISMATCH' });
  });
});

describe('writeIdentityDelta errors', () => {
  it.each([-1, 1.5, Number.NaN, 2 ** 53])('refuses size %p', async (size) => {
    await expect(writeIdentityDelta(size, path.join(dir, 'bad'))).rejects.toMatchObject({ code: 'ERR_DG_INVALID_ARGUMENT' });
  });

  it('reports an unwritable path as ERR_DG_IO', async () => {
    const err = await writeIdentityDelta(10, path.join(dir, 'missing-dir', 'delta')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeltaGliderError);
    expect((err as DeltaGliderError).code).toBe('ERR_DG_IO');
  });
});
