/**
 * Every delta the real xdelta3 3.0.11 wrote in test/fixtures/xdelta3 decodes, through
 * lib/codec's public API, to the exact target; DJW/FGK secondary compression is refused
 * with ERR_DG_UNSUPPORTED and leaves no output behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { createDecodeStream, decodeFile } from '../../lib/codec';
import { DeltaGliderError } from '../../lib/errors';
import { prng } from '../helpers/gen-data';
import { VECTORS } from '../helpers/xdelta3-vectors';

interface Case {
  name: string;
  source: string | null;
  delta: string;
  flags: string;
  target_size: number;
  target_sha256: string;
}
const cases: Case[] = JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8')).cases;
const unsupported = (c: Case) => /-S (djw|fgk)/.test(c.flags);
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Feeds `delta` to a decode stream in pseudo-random chunk sizes; collects the output. */
async function decodeInChunks(delta: Buffer, reference: string | null, seed: number): Promise<Buffer> {
  const next = prng(seed);
  const chunks: Buffer[] = [];
  for (let i = 0; i < delta.length; ) {
    const n = 1 + (next() % 97);
    chunks.push(delta.subarray(i, i + n));
    i += n;
  }
  const out: Buffer[] = [];
  const stream = createDecodeStream({ reference });
  stream.on('data', (b: Buffer) => out.push(b));
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
    Readable.from(chunks).pipe(stream);
  });
  return Buffer.concat(out);
}

describe('xdelta3 3.0.11 vectors', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dg-vectors-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const supported = cases.filter((c) => !unsupported(c));
  test.each(supported.map((c) => [c.name, c] as const))('decodeFile: %s', async (_name, c) => {
    const out = join(dir, `${c.name}.out`);
    const reference = c.source ? join(VECTORS, c.source) : null;
    const result = await decodeFile(reference, join(VECTORS, c.delta), out, { expectedSha256: c.target_sha256 });
    const bytes = readFileSync(out);
    expect(bytes.length).toBe(c.target_size);
    expect(sha256(bytes)).toBe(c.target_sha256);
    expect(result.sha256).toBe(c.target_sha256);
    expect(result.size).toBe(c.target_size);
  });

  test.each(supported.map((c, i) => [c.name, c, i] as const))('stream, random chunks: %s', async (_name, c, i) => {
    const reference = c.source ? join(VECTORS, c.source) : null;
    const out = await decodeInChunks(readFileSync(join(VECTORS, c.delta)), reference, 1000 + i);
    expect(sha256(out)).toBe(c.target_sha256);
  });

  const refused = cases.filter(unsupported);
  test('the vectors include DJW and FGK cases', () => {
    expect(refused.map((c) => c.name).sort()).toEqual(
      expect.arrayContaining(['mixed-S-djw', 'mixed-S-fgk', 'multiwindow-W16384-S-djw']),
    );
  });

  test.each(refused.map((c) => [c.name, c] as const))('unsupported secondary: %s', async (_name, c) => {
    const out = join(dir, `${c.name}.out`);
    const err = await decodeFile(join(VECTORS, c.source!), join(VECTORS, c.delta), out).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeltaGliderError);
    expect((err as DeltaGliderError).code).toBe('ERR_DG_UNSUPPORTED');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith(c.name))).toEqual([]);
  });
});
