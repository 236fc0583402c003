import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { inspectDelta } from '../../lib/codec/inspect';
import type { DeltaInfo } from '../../lib/codec/types';
import { DeltaGliderError } from '../../lib/errors';
import { addWindow, fileHeader, varint, window } from '../helpers/vcdiff-build';
import { VECTORS } from '../helpers/xdelta3-vectors';

interface Case {
  name: string;
  delta: string;
  printhdrs: string;
  delta_size: number;
  target_size: number;
}
const cases: Case[] = JSON.parse(readFileSync(join(VECTORS, 'manifest.json'), 'utf8')).cases;

/** What xdelta3's own `printhdrs` says about one delta. */
interface PrintedHeaders {
  headerSize: number;
  headerFlags: string[];
  compressor: string;
  appHeader?: string;
  windows: Map<string, string>[];
}

function parsePrintHdrs(text: string): PrintedHeaders {
  const header = new Map<string, string>();
  const windows: Map<string, string>[] = [];
  for (const line of text.split('\n')) {
    const m = /^VCDIFF ([^:]+):\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    if (m[1] === 'window number') windows.push(new Map());
    (windows.length ? windows[windows.length - 1] : header).set(m[1], m[2]);
  }
  const flags = (header.get('header indicator') ?? '').split(/\s+/).filter((f) => f && f !== 'none');
  return {
    headerSize: Number(header.get('header size')),
    headerFlags: flags,
    compressor: header.get('secondary compressor') ?? '',
    appHeader: header.get('application header'),
    windows,
  };
}

function flagsOf(value: string | undefined): string[] {
  return (value ?? '').split(/\s+/).filter(Boolean).sort();
}

function windowFlags(indicator: number): string[] {
  const names: string[] = [];
  if (indicator & 1) names.push('VCD_SOURCE');
  if (indicator & 2) names.push('VCD_TARGET');
  if (indicator & 4) names.push('VCD_ADLER32');
  return names.sort();
}

function deltaFlags(indicator: number): string[] {
  const names: string[] = [];
  if (indicator & 1) names.push('VCD_DATACOMP');
  if (indicator & 2) names.push('VCD_INSTCOMP');
  if (indicator & 4) names.push('VCD_ADDRCOMP');
  return names.sort();
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<DeltaGliderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeltaGliderError);
  expect((err as DeltaGliderError).code).toBe(code);
  return err as DeltaGliderError;
}

describe('inspectDelta against xdelta3 printhdrs', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const info = await inspectDelta(join(VECTORS, c.delta));
    const printed = parsePrintHdrs(readFileSync(join(VECTORS, c.printhdrs), 'utf8'));

    expect(info.size).toBe(c.delta_size);
    expect(info.targetSize).toBe(c.target_size);
    expect(info.windows.length).toBe(printed.windows.length);
    expect(info.windows[0].offset).toBe(printed.headerSize);

    const hasSecondary = printed.headerFlags.includes('VCD_SECONDARY');
    expect((info.headerIndicator & 1) !== 0).toBe(hasSecondary);
    expect((info.headerIndicator & 4) !== 0).toBe(printed.headerFlags.includes('VCD_APPHEADER'));
    const expectedCompressor = !hasSecondary
      ? 'none'
      : ({ lzma: 'lzma', 'Static Huffman': 'djw', 'FGK Adaptive Huffman': 'fgk' } as Record<string, string>)[
          printed.compressor
        ];
    expect(info.secondaryCompressor).toBe(expectedCompressor);
    expect(info.appHeader).toBe(printed.appHeader);

    info.windows.forEach((w, i) => {
      const p = printed.windows[i];
      expect(w.index).toBe(Number(p.get('window number')));
      expect(windowFlags(w.indicator)).toEqual(flagsOf(p.get('window indicator')));
      expect(deltaFlags(w.deltaIndicator)).toEqual(flagsOf(p.get('delta indicator')));
      expect(w.targetLength).toBe(Number(p.get('target window length')));
      expect(w.dataLength).toBe(Number(p.get('data section length')));
      expect(w.instructionsLength).toBe(Number(p.get('inst section length')));
      expect(w.addressesLength).toBe(Number(p.get('addr section length')));
      expect(w.adler32?.toUpperCase()).toBe(p.get('adler32 checksum'));
      if (p.has('copy window length')) {
        expect(w.sourceSegment).toEqual({
          length: Number(p.get('copy window length')),
          position: Number(p.get('copy window offset')),
        });
      } else {
        expect(w.sourceSegment).toBeUndefined();
      }
      // The next window starts where this one's sections end.
      const next = i + 1 < info.windows.length ? info.windows[i + 1].offset : info.size;
      const headerLen = next - w.offset - w.dataLength - w.instructionsLength - w.addressesLength;
      expect(headerLen).toBeGreaterThan(0);
    });
    expect(info.usesSource).toBe(info.windows.some((w) => w.indicator & 1));
  });

  test('a Buffer gives the same answer as the file', async () => {
    const path = join(VECTORS, cases.find((c) => c.name === 'multiwindow-W16384')!.delta);
    expect(await inspectDelta(readFileSync(path))).toEqual(await inspectDelta(path));
  });
});

describe('inspectDelta on hand-built deltas', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dg-inspect-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('many windows across several read chunks, read from a file', async () => {
    const payloads = Array.from({ length: 300 }, (_, i) => Buffer.alloc(500 + i, i & 0xff));
    const delta = Buffer.concat([fileHeader({ appHeader: 'out.bin/' }), ...payloads.map((p) => addWindow(p))]);
    expect(delta.length).toBeGreaterThan(3 * 64 * 1024);
    const path = join(dir, 'many.vcdiff');
    writeFileSync(path, delta);
    const info: DeltaInfo = await inspectDelta(path);
    expect(info.windows.length).toBe(300);
    expect(info.windows.map((w) => w.targetLength)).toEqual(payloads.map((p) => p.length));
    expect(info.targetSize).toBe(payloads.reduce((s, p) => s + p.length, 0));
    expect(info.appHeader).toBe('out.bin/');
    expect(info.secondaryCompressor).toBe('none');
    expect(info.checksums).toBe(true);
    expect(info.usesSource).toBe(false);
  });

  test('a header with no windows is a valid, empty delta', async () => {
    const info = await inspectDelta(fileHeader());
    expect(info.windows).toEqual([]);
    expect(info.targetSize).toBe(0);
    expect(info.checksums).toBe(false);
  });

  test('unknown secondary compressor ids are reported, not rejected', async () => {
    const info = await inspectDelta(fileHeader({ secondaryId: 7 }));
    expect(info.secondaryCompressor).toBe('unknown(7)');
  });

  test('a 64-bit source segment position is read exactly', async () => {
    const delta = Buffer.concat([
      fileHeader(),
      window({ source: { length: 1000, position: 2 ** 40 + 5 }, targetLength: 0 }),
    ]);
    const info = await inspectDelta(delta);
    expect(info.windows[0].sourceSegment).toEqual({ length: 1000, position: 2 ** 40 + 5 });
    expect(info.usesSource).toBe(true);
  });

  test('every truncation is either a shorter valid delta (at a window boundary) or corrupt', async () => {
    const full = Buffer.concat([fileHeader({ appHeader: 'a/b' }), addWindow(Buffer.from('hello')), addWindow(Buffer.from('world!'))]);
    const info = await inspectDelta(full);
    const boundaries = new Set([...info.windows.map((w) => w.offset)]);
    for (let len = 0; len < full.length; len++) {
      const cut = full.subarray(0, len);
      if (boundaries.has(len)) {
        const partial = await inspectDelta(cut);
        expect(partial.windows.length).toBe(info.windows.findIndex((w) => w.offset === len));
      } else {
        await expectCode(inspectDelta(cut), 'ERR_DG_CORRUPT_DELTA');
      }
    }
  });

  test('bad magic, version, and reserved bits', async () => {
    await expectCode(inspectDelta(Buffer.from('PK\x03\x04hello')), 'ERR_DG_CORRUPT_DELTA');
    await expectCode(inspectDelta(Buffer.alloc(0)), 'ERR_DG_CORRUPT_DELTA');
    await expectCode(inspectDelta(fileHeader({ version: 0x53 })), 'ERR_DG_UNSUPPORTED');
    await expectCode(inspectDelta(fileHeader({ indicator: 0x08 })), 'ERR_DG_CORRUPT_DELTA');
    const w = addWindow(Buffer.from('x'));
    for (const indicator of [0x08, 0x03, 0x80]) {
      const bad = Buffer.from(w);
      bad[0] = indicator;
      await expectCode(inspectDelta(Buffer.concat([fileHeader(), bad])), 'ERR_DG_CORRUPT_DELTA');
    }
  });

  test('compressed-section bits without a declared compressor are corrupt', async () => {
    const delta = Buffer.concat([fileHeader(), window({ targetLength: 1, deltaIndicator: 1, data: Buffer.from('x') })]);
    await expectCode(inspectDelta(delta), 'ERR_DG_CORRUPT_DELTA');
    const withLzma = Buffer.concat([fileHeader({ secondaryId: 2 }), window({ targetLength: 1, deltaIndicator: 1, data: Buffer.from('x') })]);
    expect((await inspectDelta(withLzma)).windows[0].deltaIndicator).toBe(1);
  });

  test('absurd declared sizes are rejected without allocating them', async () => {
    const huge = [
      window({ targetLength: 0, declared: { data: 0xfffffff0 } }),
      window({ targetLength: 0xffffffff }), // describable; only decoding enforces the 16 MiB window limit
      window({ targetLength: 5, deltaLength: 0xffffffff }),
      window({ targetLength: 2n ** 40n }), // over 32 bits
      window({ source: { length: 10, position: 2n ** 60n }, targetLength: 0 }), // beyond 2^53
      Buffer.concat([Buffer.from([0]), varint(2n ** 70n)]), // endless varint
    ];
    const outcomes = await Promise.all(
      huge.map((w) => inspectDelta(Buffer.concat([fileHeader(), w])).then(() => 'ok', (e: DeltaGliderError) => e.code)),
    );
    expect(outcomes).toEqual([
      'ERR_DG_CORRUPT_DELTA',
      'ok',
      'ERR_DG_CORRUPT_DELTA',
      'ERR_DG_CORRUPT_DELTA',
      'ERR_DG_CORRUPT_DELTA',
      'ERR_DG_CORRUPT_DELTA',
    ]);
  });

  test('an application header over the limit is refused', async () => {
    const delta = Buffer.concat([fileHeader({ indicator: 4 }), varint(1 << 30)]);
    await expectCode(inspectDelta(delta), 'ERR_DG_LIMIT');
  });

  test('random damage never escapes as anything but a coded error', async () => {
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const outcomes = new Set<string>();
    for (const c of cases) {
      const original = readFileSync(join(VECTORS, c.delta));
      for (let i = 0; i < 60; i++) {
        const damaged = Buffer.from(original.subarray(0, original.length - (next() % 3 === 0 ? next() % 40 : 0)));
        for (let k = 0; k < 1 + (next() % 3); k++) if (damaged.length) damaged[next() % damaged.length] = next() & 0xff;
        const result = await inspectDelta(damaged).then(
          () => 'ok',
          (e: unknown) => (e instanceof DeltaGliderError ? e.code : `untyped: ${String(e)}`),
        );
        outcomes.add(result);
      }
    }
    expect([...outcomes].filter((o) => !['ok', 'ERR_DG_CORRUPT_DELTA', 'ERR_DG_UNSUPPORTED', 'ERR_DG_LIMIT'].includes(o))).toEqual([]);
    expect(outcomes).toContain('ERR_DG_CORRUPT_DELTA');
  });

  test('a missing file is ERR_DG_NOT_FOUND', async () => {
    await expectCode(inspectDelta(join(dir, 'nope.vcdiff')), 'ERR_DG_NOT_FOUND');
  });
});
