import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FsReferenceCache } from '../../lib/adapters/fs-reference-cache';
import { MemoryReferenceCache } from '../../lib/adapters/memory-reference-cache';
import { createReferenceCache, defaultCacheDir } from '../../lib/adapters/create-reference-cache';
import { parseEncryptionKey } from '../../lib/adapters/cache-encryption';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('FsReferenceCache', () => {
  let dir: string;
  beforeEach(() => {
    dir = join(mkdtempSync(join(tmpdir(), 'dg-cache-')), 'refs');
  });
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  const entries = () => readdirSync(dir).filter((n) => n !== 'tmp');

  it('misses, then hits after put, handing out a private verified copy', async () => {
    const cache = new FsReferenceCache({ dir });
    const bytes = randomBytes(100_000);
    expect(await cache.get(sha(bytes))).toBeNull();
    const put = await cache.put(sha(bytes), Readable.from([bytes]));
    expect(readFileSync(put.path)).toEqual(bytes);
    expect(put.size).toBe(bytes.length);
    await put.release();
    expect(existsSync(put.path)).toBe(false);

    const hit = await cache.get(sha(bytes));
    expect(hit).not.toBeNull();
    expect(readFileSync(hit!.path)).toEqual(bytes);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, entries()[0])).mode & 0o777).toBe(0o600);
    await hit!.release();
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
  });

  it('accepts a file body and rejects bytes that do not match the hash, keeping nothing', async () => {
    const cache = new FsReferenceCache({ dir });
    const src = join(dir, '..', 'src.bin');
    writeFileSync(src, 'reference bytes');
    const ref = await cache.put(sha(Buffer.from('reference bytes')), { file: src });
    await ref.release();
    await expect(cache.put(sha(Buffer.from('other')), Readable.from([Buffer.from('not other')]))).rejects.toMatchObject({
      code: 'ERR_DG_REFERENCE_MISMATCH',
    });
    expect(entries()).toHaveLength(1);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    await expect(cache.get('NOT-A-SHA')).rejects.toMatchObject({ code: 'ERR_DG_INVALID_ARGUMENT' });
  });

  it('aliases name an entry: kept across instances, cleared with it, never a planted file', async () => {
    const cache = new FsReferenceCache({ dir });
    const bytes = Buffer.from('a transformed reference');
    (await cache.put(sha(bytes), Readable.from([bytes]))).release();
    expect(await cache.getAlias('ref.archive-1')).toBeNull();
    await cache.setAlias('ref.archive-1', sha(bytes));
    const again = new FsReferenceCache({ dir });
    expect(await again.getAlias('ref.archive-1')).toBe(sha(bytes));
    const got = await again.get((await again.getAlias('ref.archive-1'))!);
    expect(readFileSync(got!.path)).toEqual(bytes);
    await got!.release();
    await expect(cache.setAlias('../escape', sha(bytes))).rejects.toMatchObject({ code: 'ERR_DG_INVALID_ARGUMENT' });
    rmSync(join(dir, 'ref.archive-1.alias'));
    symlinkSync(join(dir, '..', 'elsewhere'), join(dir, 'ref.archive-1.alias'));
    expect(await cache.getAlias('ref.archive-1')).toBeNull();
    await cache.setAlias('ref.archive-1', sha(bytes));
    await cache.clear();
    expect(await cache.getAlias('ref.archive-1')).toBeNull();
  });

  it('an entry that is a symlink (even to the right bytes) is dropped as a miss, never read', async () => {
    const cache = new FsReferenceCache({ dir });
    const bytes = Buffer.from('the real reference bytes');
    (await cache.put(sha(bytes), Readable.from([bytes]))).release();
    const entry = join(dir, entries()[0]);
    const elsewhere = join(dir, '..', 'planted.bin');
    writeFileSync(elsewhere, bytes); // a file someone could change after the check
    rmSync(entry);
    symlinkSync(elsewhere, entry);
    expect(await cache.get(sha(bytes))).toBeNull();
    expect(existsSync(entry)).toBe(false);
    expect(readFileSync(elsewhere)).toEqual(bytes); // the target itself is left alone
  });

  it('refuses a cache directory others can write to, one owned by another user, or a symlink', async () => {
    const bytes = Buffer.from('ref');
    mkdirSync(dir, { mode: 0o700 });
    chmodSync(dir, 0o777);
    await expect(new FsReferenceCache({ dir }).get(sha(bytes))).rejects.toMatchObject({
      code: 'ERR_DG_CACHE_UNSAFE', message: expect.stringContaining('chmod 700'),
    });
    chmodSync(dir, 0o700);
    expect(await new FsReferenceCache({ dir }).get(sha(bytes))).toBeNull();

    const link = join(dir, '..', 'link');
    symlinkSync(dir, link);
    await expect(new FsReferenceCache({ dir: link }).get(sha(bytes))).rejects.toMatchObject({ code: 'ERR_DG_CACHE_UNSAFE' });

    if (process.getuid?.() === 0) {
      chownSync(dir, 4321, 4321); // as root (CI): a directory another user owns
      await expect(new FsReferenceCache({ dir }).get(sha(bytes))).rejects.toMatchObject({
        code: 'ERR_DG_CACHE_UNSAFE', message: expect.stringContaining('another user'),
      });
      chownSync(dir, 0, 0);
      // ... and an entry another user owns is not used.
      const cache = new FsReferenceCache({ dir });
      (await cache.put(sha(bytes), Readable.from([bytes]))).release();
      const entry = join(dir, entries()[0]);
      chownSync(entry, 4321, 4321);
      expect(await cache.get(sha(bytes))).toBeNull();
    }
  });

  it('detects a corrupted entry, drops it and reports a miss', async () => {
    const cache = new FsReferenceCache({ dir });
    const bytes = Buffer.from('good reference');
    (await cache.put(sha(bytes), Readable.from([bytes]))).release();
    const entry = join(dir, entries()[0]);
    writeFileSync(entry, 'evil reference'); // same size, other bytes
    expect(await cache.get(sha(bytes))).toBeNull();
    expect(existsSync(entry)).toBe(false);
  });

  it('evicts least recently used entries over the size cap, never the one just stored', async () => {
    const cache = new FsReferenceCache({ dir, maxBytes: 2500 });
    const blobs = [0, 1, 2].map(() => randomBytes(1000));
    for (const [i, b] of blobs.entries()) {
      await (await cache.put(sha(b), Readable.from([b]))).release();
      // make ages distinct and deterministic: blob 0 oldest
      const t = new Date(Date.now() - (10 - i) * 60_000);
      utimesSync(join(dir, `${sha(b)}.ref`), t, t);
    }
    // 3000 bytes > 2500 after the third put: the oldest (blob 0) went
    expect(await cache.get(sha(blobs[0]))).toBeNull();
    // touching blob 1 makes blob 2 the least recently used
    await (await cache.get(sha(blobs[1])))!.release();
    const fourth = randomBytes(1000);
    await (await cache.put(sha(fourth), Readable.from([fourth]))).release();
    expect(await cache.get(sha(blobs[2]))).toBeNull();
    expect(await cache.get(sha(blobs[1]))).not.toBeNull();
    expect(await cache.get(sha(fourth))).not.toBeNull();

    // an entry bigger than the whole cap is still kept for the caller
    const tiny = new FsReferenceCache({ dir: dir + '-tiny', maxBytes: 10 });
    const big = randomBytes(100);
    const got = await tiny.put(sha(big), Readable.from([big]));
    expect(readFileSync(got.path)).toEqual(big);
    rmSync(dir + '-tiny', { recursive: true });
  });

  it('concurrent puts of the same entry are safe', async () => {
    const cache = new FsReferenceCache({ dir });
    const bytes = randomBytes(300_000);
    const refs = await Promise.all(Array.from({ length: 8 }, () => cache.put(sha(bytes), Readable.from([bytes]))));
    for (const r of refs) expect(readFileSync(r.path)).toEqual(bytes);
    await Promise.all(refs.map((r) => r.release()));
    expect(entries()).toEqual([`${sha(bytes)}.ref`]);
  });

  describe('encrypted at rest', () => {
    const key = randomBytes(32);

    it('round-trips, stores no plaintext, and releases the decrypted copy', async () => {
      const cache = new FsReferenceCache({ dir, encryptionKey: key });
      const bytes = Buffer.concat([Buffer.from('PLAINTEXT-MARKER'), randomBytes(200_000)]);
      await (await cache.put(sha(bytes), Readable.from([bytes]))).release();
      expect(entries()).toEqual([`${sha(bytes)}.enc`]);
      const stored = readFileSync(join(dir, entries()[0]));
      expect(stored.includes(Buffer.from('PLAINTEXT-MARKER'))).toBe(false);
      expect(stored.length).toBe(bytes.length + 4 + 12 + 16);

      const hit = await cache.get(sha(bytes));
      expect(readFileSync(hit!.path)).toEqual(bytes);
      expect(statSync(hit!.path).mode & 0o777).toBe(0o600);
      await hit!.release();
      expect(existsSync(hit!.path)).toBe(false);
    });

    it('handles an empty reference', async () => {
      const cache = new FsReferenceCache({ dir, encryptionKey: key });
      const empty = Buffer.alloc(0);
      await (await cache.put(sha(empty), Readable.from([empty]))).release();
      const hit = await cache.get(sha(empty));
      expect(hit?.size).toBe(0);
    });

    it('a wrong key or a tampered entry is a miss and the entry is dropped', async () => {
      const bytes = randomBytes(5000);
      const writer = new FsReferenceCache({ dir, encryptionKey: key });
      await (await writer.put(sha(bytes), Readable.from([bytes]))).release();

      const wrongKey = new FsReferenceCache({ dir, encryptionKey: randomBytes(32) });
      expect(await wrongKey.get(sha(bytes))).toBeNull();
      expect(entries()).toEqual([]);

      await (await writer.put(sha(bytes), Readable.from([bytes]))).release();
      const entry = join(dir, entries()[0]);
      const tampered = readFileSync(entry);
      tampered[100] ^= 1;
      writeFileSync(entry, tampered);
      expect(await writer.get(sha(bytes))).toBeNull();
      expect(entries()).toEqual([]);
      expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    });
  });

  it('parses keys as hex or base64 and rejects anything else', () => {
    const key = randomBytes(32);
    expect(parseEncryptionKey(key.toString('hex'))).toEqual(key);
    expect(parseEncryptionKey(key.toString('base64'))).toEqual(key);
    expect(() => parseEncryptionKey('short')).toThrow(expect.objectContaining({ code: 'ERR_DG_USAGE' }));
  });
});

describe('MemoryReferenceCache', () => {
  it('stores in a private temp dir that clear() removes', async () => {
    const cache = new MemoryReferenceCache();
    const bytes = randomBytes(1234);
    await (await cache.put(sha(bytes), Readable.from([bytes]))).release();
    expect(statSync(cache.dir).mode & 0o777).toBe(0o700);
    const hit = await cache.get(sha(bytes));
    expect(readFileSync(hit!.path)).toEqual(bytes);
    await hit!.release();
    await cache.clear();
    expect(existsSync(cache.dir)).toBe(false);
    expect(await cache.get(sha(bytes))).toBeNull();
  });
});

describe('createReferenceCache', () => {
  it('chooses backend and options from the environment', () => {
    const fsCache = createReferenceCache({ DG_CACHE_DIR: '/tmp/x', DG_CACHE_MAX_MB: '3' }) as FsReferenceCache;
    expect(fsCache).toBeInstanceOf(FsReferenceCache);
    expect(fsCache.dir).toBe('/tmp/x');
    expect(fsCache.maxBytes).toBe(3 * 1024 * 1024);
    expect(createReferenceCache({ DG_CACHE_BACKEND: 'memory' })).toBeInstanceOf(MemoryReferenceCache);
    expect(() => createReferenceCache({ DG_CACHE_BACKEND: 'redis' })).toThrow(expect.objectContaining({ code: 'ERR_DG_USAGE' }));
    expect(() => createReferenceCache({ DG_CACHE_ENCRYPTION_KEY: 'nope' })).toThrow(expect.objectContaining({ code: 'ERR_DG_USAGE' }));
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/deltaglider/references');
    expect(defaultCacheDir({ HOME: '/h' })).toMatch(/\.cache\/deltaglider\/references$/);
  });
});
