/**
 * Both directions against the real `xdelta3` binary:
 *   ours -> `xdelta3 -d`: generated references/targets of several shapes, multi-window,
 *     every secondary mode, with and without checksums and reference;
 *   `xdelta3 -e` (-0, -9, -S none, -n, -A) -> ours.
 * Byte-exact every time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { decodeFile, encodeFile, inspectDelta } from '../../lib/codec';
import type { SecondaryCompression } from '../../lib/codec/types';
import {
  insertDelete,
  randomBytes,
  runsAndPatterns,
  shuffledBlocks,
  sparseEdits,
  textBytes,
} from '../helpers/gen-data';

interface Shape {
  name: string;
  reference: Buffer | null;
  target: Buffer;
}

function shapes(): Shape[] {
  const bin = randomBytes(600_000, 1);
  const text = textBytes(300_000, 2);
  return [
    { name: 'sparse-edits (relinked binary)', reference: bin, target: sparseEdits(bin, 300, 3) },
    { name: 'moved and inserted blocks (archive)', reference: bin, target: shuffledBlocks(bin, 20_000, 4) },
    { name: 'inserts and deletes in text', reference: text, target: insertDelete(text, 25, 5) },
    { name: 'identical', reference: text, target: text },
    { name: 'unrelated random', reference: randomBytes(50_000, 6), target: randomBytes(70_000, 7) },
    { name: 'runs and patterns, no reference', reference: null, target: runsAndPatterns(400_000, 8) },
    { name: 'text, no reference', reference: null, target: textBytes(200_000, 9) },
    // Sections of megabytes: our own LZMA2 encoder, several chunks and pieces per section.
    { name: 'large text, no reference', reference: null, target: textBytes(3_000_000, 11) },
    { name: 'empty target', reference: bin.subarray(0, 1000), target: Buffer.alloc(0) },
    { name: 'empty reference', reference: Buffer.alloc(0), target: textBytes(5000, 10) },
    { name: 'tiny target', reference: text.subarray(0, 100), target: Buffer.from('x') },
  ];
}

const MODES: { secondary: SecondaryCompression; windowSize?: number; checksum?: boolean }[] = [
  { secondary: 'auto' },
  { secondary: 'lzma' },
  { secondary: 'none' },
  { secondary: 'auto', windowSize: 16 * 1024 },
  { secondary: 'lzma', windowSize: 64 * 1024, checksum: false },
  { secondary: 'none', windowSize: 16 * 1024, checksum: false },
];

function xdelta3(args: string[]): void {
  execFileSync('xdelta3', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dg-interop-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function files(tag: string, shape: Shape) {
  const ref = join(dir, `${tag}.ref`);
  const target = join(dir, `${tag}.target`);
  if (shape.reference) writeFileSync(ref, shape.reference);
  writeFileSync(target, shape.target);
  return { ref: shape.reference ? ref : null, target, delta: join(dir, `${tag}.vcdiff`), out: join(dir, `${tag}.out`) };
}

describe('ours -> xdelta3 -d', () => {
  const all = shapes();
  const table = all.flatMap((shape, s) =>
    MODES.map((mode, m) => [`${shape.name} / ${JSON.stringify(mode)}`, shape, mode, `e${s}-${m}`] as const),
  );
  test.each(table)('%s', async (_name, shape, mode, tag) => {
    const f = files(tag, shape);
    const result = await encodeFile(f.ref, f.target, f.delta, mode);
    expect(result.size).toBe(shape.target.length);
    expect(result.deltaSize).toBe(readFileSync(f.delta).length);
    xdelta3(['-d', '-f', ...(f.ref ? ['-s', f.ref] : []), f.delta, f.out]);
    expect(readFileSync(f.out).equals(shape.target)).toBe(true);
  });

  test('20 MB target in default-size windows, reference given as a Buffer', async () => {
    const reference = randomBytes(20_000_000, 21);
    const shape: Shape = { name: 'big', reference, target: shuffledBlocks(sparseEdits(reference, 2000, 22), 1 << 20, 23) };
    const f = files('big', shape);
    const result = await encodeFile(reference, f.target, f.delta);
    expect(result.deltaSize).toBeLessThan(shape.target.length / 4);
    const info = await inspectDelta(f.delta);
    // More than one window, none over the 16 MiB xdelta3 -d accepts.
    expect(info.windows.length).toBeGreaterThan(1);
    expect(Math.max(...info.windows.map((w) => w.targetLength))).toBeLessThanOrEqual(16 << 20);
    xdelta3(['-d', '-f', '-s', f.ref!, f.delta, f.out]);
    expect(readFileSync(f.out).equals(shape.target)).toBe(true);
  });

  test('a multi-window delta really has many windows (xdelta3 printhdrs agrees)', async () => {
    const shape = all[0];
    const f = files('multi', shape);
    await encodeFile(f.ref, f.target, f.delta, { windowSize: 16 * 1024 });
    const printed = execFileSync('xdelta3', ['printhdrs', f.delta]).toString();
    const windows = printed.split('\n').filter((l) => l.startsWith('VCDIFF window number:')).length;
    expect(windows).toBe(Math.ceil(shape.target.length / (16 * 1024)));
  });
});

describe('xdelta3 -e -> ours', () => {
  test('12 MB with a small source buffer (-B 1 MiB: many windows, moving source segments)', async () => {
    const reference = randomBytes(12_000_000, 31);
    const shape: Shape = { name: 'bigB', reference, target: insertDelete(sparseEdits(reference, 5000, 32), 40, 33) };
    const f = files('bigB', shape);
    xdelta3(['-e', '-B', String(1 << 20), '-W', String(1 << 20), '-f', '-s', f.ref!, f.target, f.delta]);
    const info = await inspectDelta(f.delta);
    expect(new Set(info.windows.map((w) => w.sourceSegment?.position)).size).toBeGreaterThan(5);
    await decodeFile(f.ref, f.delta, f.out);
    expect(readFileSync(f.out).equals(shape.target)).toBe(true);
  });

  const all = shapes().filter((s) => s.target.length > 0);
  const FLAGS = [['-0'], ['-9'], ['-S', 'none'], ['-n'], ['-A'], ['-9', '-W', '16384']];
  const table = all.flatMap((shape, s) =>
    FLAGS.map((flags, k) => [`${shape.name} / xdelta3 -e ${flags.join(' ')}`, shape, flags, `x${s}-${k}`] as const),
  );
  test.each(table)('%s', async (_name, shape, flags, tag) => {
    const f = files(tag, shape);
    // -A takes the next word as its value unless that word is an option: keep -f after the flags.
    xdelta3(['-e', ...flags, '-f', ...(f.ref ? ['-s', f.ref] : []), f.target, f.delta]);
    if (flags.includes('-A')) expect((await inspectDelta(f.delta)).appHeader).toBeUndefined();
    const result = await decodeFile(f.ref, f.delta, f.out);
    expect(readFileSync(f.out).equals(shape.target)).toBe(true);
    expect(result.size).toBe(shape.target.length);
  });
});
