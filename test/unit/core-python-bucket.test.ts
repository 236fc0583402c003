/**
 * A bucket as the Python DeltaGlider writes it: deltas made by the real `xdelta3 -e -9`,
 * metadata in each legacy spelling, naive timestamps. Our service must read all of it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { BUCKET, makeFixture, seededBytes, sha256, similarTo, type Fixture } from '../helpers/core-fixture';

type Spelling = (field: string) => string;
const SPELLINGS: [string, Spelling][] = [
  ['dg-a-b', (f) => `dg-${f}`],
  ['dg_a_b', (f) => `dg_${f.replace(/-/g, '_')}`],
  ['a_b', (f) => f.replace(/-/g, '_')],
  ['a-b', (f) => f], // tool and note have no bare dashed form: they use the underscore one
];

function spell(spelling: Spelling, fields: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, value] of Object.entries(fields)) {
    const name = field === 'tool' || field === 'note' ? (spelling('x-y') === 'x-y' ? field : spelling(field)) : spelling(field);
    out[name] = value;
  }
  return out;
}

describe('reading a bucket written by the Python DeltaGlider', () => {
  let f: Fixture;
  afterEach(() => f.cleanup());

  function xdelta3Encode(source: string, target: string, out: string): Buffer {
    execFileSync('xdelta3', ['-e', '-9', '-f', '-s', source, target, out]);
    return readFileSync(out);
  }

  test.each(SPELLINGS)('metadata spelled %s', async (_label, spelling) => {
    f = makeFixture();
    const ds = 'builds/v1';
    const ref = seededBytes(30_000, 41);
    const v2 = similarTo(ref, 42);
    const refPath = f.file('reference.bin', ref);
    const v1Path = f.file('app-1.0.zip', ref);
    const v2Path = f.file('app-1.1.zip', v2);
    const created = '2025-09-30T08:15:00.123456'; // naive UTC, no Z

    f.storage.setObject(BUCKET, `${ds}/reference.bin`, ref, spell(spelling, {
      tool: 'deltaglider/6.1.2', 'source-name': 'app-1.0.zip', 'file-sha256': sha256(ref), 'created-at': created, note: 'reference',
    }));
    for (const [name, bytes, path, note] of [
      ['app-1.0.zip', ref, v1Path, 'zero-diff (reference identical)'],
      ['app-1.1.zip', v2, v2Path, undefined],
    ] as const) {
      const delta = xdelta3Encode(refPath, path, join(f.dir, `${name}.delta`));
      f.storage.setObject(BUCKET, `${ds}/${name}.delta`, delta, spell(spelling, {
        tool: 'deltaglider/6.1.2', 'original-name': name, 'file-sha256': sha256(bytes), 'file-size': String(bytes.length),
        'created-at': created, 'ref-key': `${ds}/reference.bin`, 'ref-sha256': sha256(ref), 'delta-size': String(delta.length),
        'delta-cmd': `xdelta3 -e -9 -s reference.bin ${name} ${name}.delta`, ...(note ? { note } : {}),
      }));
    }
    const text = Buffer.from('release notes\n');
    f.storage.setObject(BUCKET, `${ds}/NOTES.txt`, text, spell(spelling, {
      tool: 'deltaglider/6.1.2', 'original-name': 'NOTES.txt', 'file-sha256': sha256(text), 'file-size': String(text.length),
      'created-at': created + 'Z', compression: 'none',
    }));

    const page = await f.service.list(BUCKET, { prefix: `${ds}/` });
    expect(page.objects.map((o) => [o.key, o.kind, o.size])).toEqual([
      [`${ds}/NOTES.txt`, 'direct', text.length],
      [`${ds}/app-1.0.zip`, 'delta', ref.length],
      [`${ds}/app-1.1.zip`, 'delta', v2.length],
    ]);
    for (const [key, bytes] of [[`${ds}/app-1.0.zip`, ref], [`${ds}/app-1.1.zip`, v2], [`${ds}/NOTES.txt`, text]] as const) {
      const out = join(f.dir, 'out.bin');
      const got = await f.service.get(BUCKET, key, out);
      expect(got.sha256).toBe(sha256(bytes));
      expect(readFileSync(out).equals(bytes)).toBe(true);
      expect((await f.service.verify(BUCKET, key)).valid).toBe(true);
    }
    expect(await f.service.head(BUCKET, `${ds}/app-1.1.zip`)).toMatchObject({ kind: 'delta', size: v2.length, sha256: sha256(v2) });

    // Our upload into their deltaspace encodes against their reference.
    const v3 = similarTo(ref, 43);
    const r = await f.service.put(f.file('app-1.2.zip', v3), BUCKET, `${ds}/app-1.2.zip`);
    expect(r.storedAs).toBe('delta');
    expect(f.storage.object(BUCKET, `${ds}/app-1.2.zip.delta`)!.metadata['dg-ref-sha256']).toBe(sha256(ref));
    // ... and what we wrote decodes with the real xdelta3 too (the Python tool's reader).
    const ours = f.file('ours.delta', f.storage.object(BUCKET, `${ds}/app-1.2.zip.delta`)!.body);
    const rebuilt = join(f.dir, 'rebuilt.zip');
    execFileSync('xdelta3', ['-d', '-f', '-s', refPath, ours, rebuilt]);
    expect(readFileSync(rebuilt).equals(v3)).toBe(true);
  });
});
