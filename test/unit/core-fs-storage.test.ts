/** The service over the real filesystem adapters (FsStorage + FsReferenceCache). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { FsReferenceCache } from '../../lib/adapters/fs-reference-cache';
import { FsStorage } from '../../lib/adapters/fs-storage';
import { DeltaService } from '../../lib/core';
import { seededBytes, sha256, similarTo } from '../helpers/core-fixture';

describe('DeltaService on FsStorage', () => {
  let dir: string;
  let storage: FsStorage;
  const make = (): DeltaService =>
    new DeltaService({
      storage, referenceCache: new FsReferenceCache({ dir: join(dir, 'cache') }), tempDir: join(dir, 'tmp'), env: {},
    });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dg-core-fs-'));
    storage = new FsStorage(join(dir, 'store'));
    await storage.createBucket('b');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, bytes: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };

  test('put / list / get / verify / delete round trip', async () => {
    const v1 = seededBytes(25_000, 61);
    const v2 = similarTo(v1, 62);
    const service = make();
    expect((await service.put(file('1.zip', v1), 'b', 'r/app-1.zip')).storedAs).toBe('reference');
    const r2 = await service.put(file('2.zip', v2), 'b', 'r/app-2.zip');
    expect(r2.storedAs).toBe('delta');
    expect((await service.put(file('n.txt', Buffer.from('n')), 'b', 'r/n.txt')).storedAs).toBe('direct');
    const head = await storage.head('b', 'r/app-2.zip.delta');
    expect(head!.metadata['dg-tool']).toMatch(/^deltaglider-node\/\d+\.\d+\.\d+/);

    const page = await make().list('b', { prefix: 'r/' });
    expect(page.objects.map((o) => [o.key, o.size])).toEqual([['r/app-1.zip', 25_000], ['r/app-2.zip', 25_100], ['r/n.txt', 1]]);

    const out = join(dir, 'dl', 'app-2.zip');
    expect((await make().get('b', 'r/app-2.zip', out)).sha256).toBe(sha256(v2));
    expect(readFileSync(out).equals(v2)).toBe(true);
    expect((await service.verify('b', 'r/app-1.zip')).valid).toBe(true);

    await service.delete('b', 'r/app-1.zip');
    await service.delete('b', 'r/app-2.zip');
    expect((await storage.list('b', { prefix: 'r/' })).objects.map((o) => o.key)).toEqual(['r/n.txt']);
  });

  test('concurrent first uploads into one deltaspace from separate processes each make a reference, all readable', async () => {
    const base = seededBytes(25_000, 71);
    const versions = [0, 1, 2, 3].map((i) => similarTo(base, 80 + i));
    const results = await Promise.all(versions.map((bytes, i) => make().put(file(`v${i}.zip`, bytes), 'b', `c/v${i}.zip`)));
    expect(results.map((r) => r.storedAs)).toEqual(['reference', 'reference', 'reference', 'reference']);
    const refs = (await storage.list('b', { prefix: 'c/' })).objects.filter((o) => o.key.endsWith('reference.bin'));
    expect(refs).toHaveLength(4); // write-once keys: nobody overwrote anybody
    for (const [i, bytes] of versions.entries()) {
      const out = join(dir, `o${i}`);
      await make().get('b', `c/v${i}.zip`, out);
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
  });

  test('concurrent first uploads within one process make one reference and deltas against it', async () => {
    const base = seededBytes(25_000, 72);
    const versions = [0, 1, 2, 3].map((i) => similarTo(base, 90 + i));
    const one = make();
    const results = await Promise.all(versions.map((bytes, i) => one.put(file(`w${i}.zip`, bytes), 'b', `d/w${i}.zip`)));
    expect(results.map((r) => r.storedAs).sort()).toEqual(['delta', 'delta', 'delta', 'reference']);
    const refs = (await storage.list('b', { prefix: 'd/' })).objects.filter((o) => o.key.endsWith('reference.bin'));
    expect(refs).toHaveLength(1);
    for (const [i, bytes] of versions.entries()) {
      const out = join(dir, `p${i}`);
      await make().get('b', `d/w${i}.zip`, out);
      expect(readFileSync(out).equals(bytes)).toBe(true);
    }
  });
});
