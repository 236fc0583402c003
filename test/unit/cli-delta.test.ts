import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import type { CliIO } from '../../lib/cli/context';
import { main } from '../../lib/cli/main';
import { inspectDelta } from '../../lib/codec/inspect';
import { randomBytes, sparseEdits, textBytes } from '../helpers/gen-data';
import { VECTORS } from '../helpers/xdelta3-vectors';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Run {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Runs the CLI with captured streams; `stdin` is what the command may read. */
async function cli(args: string[], stdin: Buffer = Buffer.alloc(0)): Promise<Run> {
  const out = new PassThrough();
  const err = new PassThrough();
  const input = new PassThrough();
  const outChunks: Buffer[] = [];
  let errText = '';
  out.on('data', (d: Buffer) => outChunks.push(d));
  err.on('data', (d: Buffer) => (errText += d.toString()));
  input.end(stdin);
  const io: CliIO = {
    stdout: out,
    stderr: err,
    stdin: input,
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: {},
    cwd: process.cwd(),
  };
  const code = await main(args, io);
  return { code, stdout: Buffer.concat(outChunks), stderr: errText };
}

let dir: string;
let ref: string;
let target: string;
let targetBytes: Buffer;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-cli-delta-'));
  const refBytes = randomBytes(300_000, 11);
  targetBytes = sparseEdits(refBytes, 500, 12);
  ref = join(dir, 'ref.bin');
  target = join(dir, 'target.bin');
  writeFileSync(ref, refBytes);
  writeFileSync(target, targetBytes);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Files in the work dir besides the fixtures: a failed command must leave none. */
const leftovers = (...expected: string[]) =>
  readdirSync(dir).filter((f) => !['ref.bin', 'target.bin', ...expected].includes(f));

describe('delta encode / decode', () => {
  test('round trip with --source, human output', async () => {
    const delta = join(dir, 'rt.vcdiff');
    const enc = await cli(['delta', 'encode', '--source', ref, target, delta]);
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    const text = enc.stdout.toString();
    expect(text).toContain(`sha256 ${sha256(targetBytes)}`);
    expect(text).toMatch(/% of the target/);
    expect(readFileSync(delta).length).toBeLessThan(targetBytes.length / 5);

    const out = join(dir, 'rt.out');
    const dec = await cli(['delta', 'decode', '--source', ref, '--sha256', sha256(targetBytes), delta, out]);
    expect(dec.code).toBe(0);
    expect(dec.stdout.toString()).toContain('(verified)');
    expect(readFileSync(out).equals(targetBytes)).toBe(true);
    expect(leftovers('rt.vcdiff', 'rt.out')).toEqual([]);
  });

  test('--json reports sizes, ratio and SHA-256', async () => {
    const delta = join(dir, 'j.vcdiff');
    const enc = await cli(['delta', 'encode', '-s', ref, target, delta, '--json']);
    expect(enc.code).toBe(0);
    const report = JSON.parse(enc.stdout.toString());
    expect(report).toMatchObject({
      command: 'encode',
      targetSize: targetBytes.length,
      sourceSize: 300_000,
      deltaSize: readFileSync(delta).length,
      sha256: sha256(targetBytes),
    });
    expect(report.ratio).toBeCloseTo(report.deltaSize / report.targetSize, 10);

    const dec = await cli(['delta', 'decode', '-s', ref, delta, join(dir, 'j.out'), '--json']);
    expect(dec.code).toBe(0);
    expect(JSON.parse(dec.stdout.toString())).toMatchObject({
      command: 'decode',
      size: targetBytes.length,
      sha256: sha256(targetBytes),
      sha256Verified: false,
    });
  });

  test('no --source: a self-contained delta, decoded without --source', async () => {
    const delta = join(dir, 'ns.vcdiff');
    expect((await cli(['delta', 'encode', target, delta])).code).toBe(0);
    expect((await inspectDelta(delta)).usesSource).toBe(false);
    const out = join(dir, 'ns.out');
    expect((await cli(['delta', 'decode', delta, out])).code).toBe(0);
    expect(readFileSync(out).equals(targetBytes)).toBe(true);
  });

  test('options reach the encoder: --secondary none, --window-size, --no-checksum', async () => {
    const delta = join(dir, 'opts.vcdiff');
    const r = await cli(['delta', 'encode', '-s', ref, '--secondary', 'none', '--window-size', '16K', '--no-checksum', target, delta]);
    expect(r.code).toBe(0);
    const info = await inspectDelta(delta);
    expect(info.secondaryCompressor).toBe('none');
    expect(info.windows.length).toBe(Math.ceil(targetBytes.length / 16384));
    expect(info.checksums).toBe(false);
    expect(info.windows.every((w) => w.targetLength <= 16384)).toBe(true);
  });

  test('--lzma-preset reaches the encoder (and the delta still decodes)', async () => {
    const text = join(dir, 'preset.txt');
    const bytes = textBytes(400_000, 77);
    writeFileSync(text, bytes);
    const sizes: number[] = [];
    for (const preset of ['0', '9']) {
      const delta = join(dir, `preset-${preset}.vcdiff`);
      expect((await cli(['delta', 'encode', '--lzma-preset', preset, text, delta])).code).toBe(0);
      sizes.push(readFileSync(delta).length);
      const out = join(dir, `preset-${preset}.out`);
      expect((await cli(['delta', 'decode', delta, out])).code).toBe(0);
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
    expect(sizes[1]).toBeLessThan(sizes[0]);
  });

  test('stdin to stdout both ways ("-")', async () => {
    const enc = await cli(['delta', 'encode', '-s', ref, '-', '-'], targetBytes);
    expect({ code: enc.code, stderr: enc.stderr }).toMatchObject({ code: 0 });
    expect(enc.stderr).toContain(`sha256 ${sha256(targetBytes)}`); // the report moves to stderr
    expect(enc.stdout.subarray(0, 3)).toEqual(Buffer.from([0xd6, 0xc3, 0xc4]));
    const dec = await cli(['delta', 'decode', '-s', ref, '-', '-'], enc.stdout);
    expect(dec.code).toBe(0);
    expect(dec.stdout.equals(targetBytes)).toBe(true);
  });

  test('wrong --sha256: exit 1, the code on stderr, nothing left under OUT', async () => {
    const delta = join(dir, 'sha.vcdiff');
    expect((await cli(['delta', 'encode', '-s', ref, target, delta])).code).toBe(0);
    const out = join(dir, 'sha.out');
    const r = await cli(['delta', 'decode', '-s', ref, '--sha256', '0'.repeat(64), delta, out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_DG_SHA256_MISMATCH');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(leftovers('sha.vcdiff')).toEqual(expect.not.arrayContaining([expect.stringContaining('sha.out')]));
  });

  test('corrupt delta: exit 1 with ERR_DG_CORRUPT_DELTA, no output', async () => {
    const delta = join(dir, 'bad.vcdiff');
    writeFileSync(delta, Buffer.concat([readFileSync(join(VECTORS, 'deltas/mixed-S-none.vcdiff')).subarray(0, 300)]));
    const out = join(dir, 'bad.out');
    const r = await cli(['delta', 'decode', '-s', join(VECTORS, 'data/mixed-src.bin'), delta, out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_DG_CORRUPT_DELTA');
    expect(readdirSync(dir).filter((f) => f.includes('bad.out'))).toEqual([]);
  });

  test('a delta with source windows and no --source is a usage error with a hint', async () => {
    const r = await cli(['delta', 'decode', join(VECTORS, 'deltas/mixed-default.vcdiff'), join(dir, 'x.out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--source');
    expect(existsSync(join(dir, 'x.out'))).toBe(false);
  });

  test('decodes what xdelta3 wrote (a vector)', async () => {
    const out = join(dir, 'vec.out');
    const r = await cli(['delta', 'decode', '-s', join(VECTORS, 'data/mixed-src.bin'), join(VECTORS, 'deltas/multiwindow-W16384.vcdiff'), out]);
    expect(r.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8'));
    const c = manifest.cases.find((x: { name: string }) => x.name === 'multiwindow-W16384');
    expect(sha256(readFileSync(out))).toBe(c.target_sha256);
  });

  // TARGET / DELTA / OUT stand for files in the work dir (made in beforeAll, after this table).
  test.each([
    [['delta', 'encode', 'TARGET', 'DELTA', '--window-size', '1K']],
    [['delta', 'encode', 'TARGET', 'DELTA', '--window-size', 'lots']],
    [['delta', 'encode', 'TARGET', 'DELTA', '--secondary', 'zstd']],
    [['delta', 'encode', 'TARGET', 'DELTA', '--lzma-preset', '10']],
    [['delta', 'encode', 'TARGET', 'DELTA', '--lzma-preset', 'fast']],
    [['delta', 'decode', '--sha256', 'abc', 'DELTA', 'OUT']],
    [['delta', 'encode', 'TARGET']],
    [['delta']],
  ])('usage error -> exit 2: %j', async (args) => {
    const paths: Record<string, string> = { TARGET: target, DELTA: join(dir, 'u.vcdiff'), OUT: join(dir, 'u.out') };
    const r = await cli(args.map((a) => paths[a] ?? a));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^deltaglider: /);
    expect(existsSync(join(dir, 'u.vcdiff'))).toBe(false);
  });

  test('missing source file: exit 1, ERR_DG_NOT_FOUND', async () => {
    const r = await cli(['delta', 'encode', '-s', join(dir, 'nope.bin'), target, join(dir, 'm.vcdiff')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_DG_NOT_FOUND');
    expect(existsSync(join(dir, 'm.vcdiff'))).toBe(false);
  });
});

describe('delta info', () => {
  const vector = join(VECTORS, 'deltas/multiwindow-W16384.vcdiff');

  test('human output: header, compressor, app header, one line per window', async () => {
    const r = await cli(['delta', 'info', vector]);
    expect(r.code).toBe(0);
    const text = r.stdout.toString();
    const info = await inspectDelta(vector);
    expect(text).toContain('secondary compressor: lzma');
    expect(text).toContain('"mixed-tgt.bin//mixed-src.bin/"');
    expect(text).toContain(`windows:              ${info.windows.length}`);
    const windowLines = text.split('\n').filter((l) => /^\s*\d+\s+\d+\s+SOURCE/.test(l));
    expect(windowLines).toHaveLength(info.windows.length);
    expect(windowLines[0]).toContain(info.windows[0].adler32!);
  });

  test('--json is the inspectDelta result', async () => {
    const r = await cli(['delta', 'info', vector, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout.toString())).toEqual({ delta: vector, ...(await inspectDelta(vector)) });
  });

  test('reads stdin with "-"', async () => {
    const r = await cli(['delta', 'info', '-', '--json'], readFileSync(vector));
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(r.stdout.toString()).windows).toHaveLength((await inspectDelta(vector)).windows.length);
  });

  test('not a delta: exit 1 with the code', async () => {
    const r = await cli(['delta', 'info', target]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^deltaglider: error: .*\(ERR_DG_CORRUPT_DELTA\)\n$/);
  });
});
