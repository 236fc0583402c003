import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DEFAULT_DELTA_EXTENSIONS, DeltaPolicy, hasBinaryMagic, parseDeltaExtensions, parseMaxRatio } from '../../lib/core';

describe('core policy', () => {
  const policy = new DeltaPolicy();

  test('candidates by extension, case-insensitive', () => {
    for (const name of ['app.zip', 'APP.JAR', 'x.tar.gz', 'x.Tgz', 'lib.so', 'a.whl', 'disk.img', 'setup.EXE']) {
      expect(policy.isCandidateName(name)).toBe(true);
    }
    for (const name of ['notes.txt', 'zip', 'image.png', 'data.json']) expect(policy.isCandidateName(name)).toBe(false);
  });

  test('DG_DELTA_EXTENSIONS replaces, or adds with a leading +', () => {
    expect(parseDeltaExtensions('pak, .DAT')).toEqual(['.pak', '.dat']);
    const added = parseDeltaExtensions('+.pak');
    expect(added).toEqual([...DEFAULT_DELTA_EXTENSIONS, '.pak']);
    expect(parseDeltaExtensions(undefined)).toEqual([...DEFAULT_DELTA_EXTENSIONS]);
    expect(new DeltaPolicy({ extensions: parseDeltaExtensions('pak') }).isCandidateName('a.zip')).toBe(false);
  });

  test('magic bytes', () => {
    const at = (bytes: number[], offset = 0): Buffer => {
      const b = Buffer.alloc(512, 0x20);
      Buffer.from(bytes).copy(b, offset);
      return b;
    };
    const yes: Buffer[] = [
      at([0x7f, 0x45, 0x4c, 0x46]), at([0x4d, 0x5a]), at([0xfe, 0xed, 0xfa, 0xce]), at([0xfe, 0xed, 0xfa, 0xcf]),
      at([0xce, 0xfa, 0xed, 0xfe]), at([0xcf, 0xfa, 0xed, 0xfe]), at([0xca, 0xfe, 0xba, 0xbe]), at([0x50, 0x4b, 0x03, 0x04]),
      Buffer.from([0x50, 0x4b, 0x05, 0x06, ...Buffer.alloc(18)]), at([0x1f, 0x8b]), at([0x42, 0x5a, 0x68]),
      at([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), at([0x28, 0xb5, 0x2f, 0xfd]), at([...Buffer.from('ustar')], 257),
    ];
    for (const b of yes) expect(hasBinaryMagic(b)).toBe(true);
    expect(hasBinaryMagic(Buffer.from('hello world, plain text'))).toBe(false);
    expect(hasBinaryMagic(at([...Buffer.from('ustar')], 256))).toBe(false);
    expect(hasBinaryMagic(Buffer.from([0x7f, 0x45]))).toBe(false);
  });

  test('a file without a telling extension is a candidate by content', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-policy-'));
    try {
      writeFileSync(join(dir, 'tool'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]));
      writeFileSync(join(dir, 'readme'), 'just text');
      expect(await policy.isCandidate('tool', join(dir, 'tool'))).toBe(true);
      expect(await policy.isCandidate('readme', join(dir, 'readme'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('ratio', () => {
    expect(policy.maxRatio).toBe(0.5);
    expect(policy.acceptsDelta(50, 100)).toBe(true);
    expect(policy.acceptsDelta(51, 100)).toBe(false);
    expect(policy.acceptsDelta(90, 100, 0.95)).toBe(true);
    expect(parseMaxRatio('0.25')).toBe(0.25);
    for (const bad of ['0', '1.5', 'abc', -1]) expect(() => parseMaxRatio(bad)).toThrow(expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT' }));
  });
});
