import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { FsStorage } from '../../lib/adapters/fs-storage';
import { createStorage } from '../../lib/adapters/create-storage';
import { listAll } from '../../lib/ports/storage';
import { isDeltaGliderError } from '../../lib/errors';

async function text(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'DeltaGliderError', code });
}

describe('FsStorage', () => {
  let root: string;
  let storage: FsStorage;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'dg-fs-'));
    storage = new FsStorage(root);
    await storage.createBucket('b');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('round-trips bodies from buffer, file and stream with metadata and content type', async () => {
    const file = join(root, 'src.bin');
    writeFileSync(file, 'from a file');
    await storage.put('b', 'x/buf.txt', { buffer: Buffer.from('from a buffer') }, { metadata: { 'DG-Note': 'hi' }, contentType: 'text/plain' });
    await storage.put('b', 'x/file.txt', { file });
    await storage.put('b', 'x/stream.txt', { stream: Readable.from([Buffer.from('from '), Buffer.from('a stream')]) });

    const got = await storage.get('b', 'x/buf.txt');
    expect(await text(got.body)).toBe('from a buffer');
    expect(got.head).toMatchObject({ key: 'x/buf.txt', size: 13, contentType: 'text/plain', metadata: { 'dg-note': 'hi' } });
    expect(got.head.etag).toBe(`"${createHash('md5').update('from a buffer').digest('hex')}"`);
    expect(await text((await storage.get('b', 'x/file.txt')).body)).toBe('from a file');
    expect(await text((await storage.get('b', 'x/stream.txt')).body)).toBe('from a stream');
    // objects are plain files at <root>/<bucket>/<key>
    expect(readdirSync(join(root, 'b', 'x')).sort()).toEqual(['buf.txt', 'file.txt', 'stream.txt']);
  });

  it('reports progress and refuses a stream shorter than its declared size', async () => {
    const seen: number[] = [];
    await storage.put('b', 'p', { buffer: Buffer.alloc(1000, 1) }, { onProgress: (n) => seen.push(n) });
    expect(seen[seen.length - 1]).toBe(1000);
    await expectCode(storage.put('b', 'short', { stream: Readable.from([Buffer.from('abc')]), size: 10 }), 'ERR_DG_INVALID_ARGUMENT');
    expect(await storage.head('b', 'short')).toBeNull();
  });

  it('head returns null for missing keys and folders; get of a missing key is ERR_DG_NOT_FOUND', async () => {
    await storage.put('b', 'dir/k', { buffer: Buffer.from('v') });
    expect(await storage.head('b', 'nope')).toBeNull();
    expect(await storage.head('b', 'dir')).toBeNull();
    expect((await storage.head('b', 'dir/k'))?.size).toBe(1);
    await expectCode(storage.get('b', 'nope'), 'ERR_DG_NOT_FOUND');
    await expectCode(storage.get('b', 'dir'), 'ERR_DG_NOT_FOUND');
  });

  it('missing buckets are ERR_DG_BUCKET_NOT_FOUND', async () => {
    await expectCode(storage.get('nobucket', 'k'), 'ERR_DG_BUCKET_NOT_FOUND');
    await expectCode(storage.put('nobucket', 'k', { buffer: Buffer.from('v') }), 'ERR_DG_BUCKET_NOT_FOUND');
    await expectCode(storage.list('nobucket'), 'ERR_DG_BUCKET_NOT_FOUND');
    await expectCode(storage.head('nobucket', 'k'), 'ERR_DG_BUCKET_NOT_FOUND');
  });

  it('overwrites replace metadata and leave no stale sidecar behind', async () => {
    await storage.put('b', 'k', { buffer: Buffer.from('one') }, { metadata: { a: '1' } });
    await storage.put('b', 'k', { buffer: Buffer.from('two!') }, { metadata: { b: '2' } });
    const head = await storage.head('b', 'k');
    expect(head).toMatchObject({ size: 4, metadata: { b: '2' } });
    expect(readdirSync(join(root, '.dg-meta', 'b'))).toHaveLength(1);
    await storage.delete('b', 'k');
    expect(readdirSync(join(root, '.dg-meta', 'b'))).toHaveLength(0);
  });

  it('files placed by hand are objects with empty metadata', async () => {
    mkdirSync(join(root, 'b', 'hand'), { recursive: true });
    writeFileSync(join(root, 'b', 'hand', 'made.txt'), 'manual');
    const head = await storage.head('b', 'hand/made.txt');
    expect(head).toMatchObject({ size: 6, metadata: {} });
    expect((await storage.list('b')).objects.map((o) => o.key)).toEqual(['hand/made.txt']);
  });

  it('lists in S3 byte order with prefix, delimiter, startAfter and paging', async () => {
    const keys = ['a-b', 'a/b', 'a/c/d', 'a/c/e', 'a0', 'b', 'é', 'z/\u{1F600}', 'z/\uFFFD', 'x.json', 'x.json.json'];
    for (const k of keys) await storage.put('b', k, { buffer: Buffer.from(k) });
    const expected = [...keys].sort((p, q) => Buffer.compare(Buffer.from(p), Buffer.from(q)));

    const all: string[] = [];
    for await (const o of listAll(storage, 'b')) all.push(o.key);
    expect(all).toEqual(expected);

    // paging with tiny pages yields the same sequence
    const paged: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await storage.list('b', { maxKeys: 2, continuationToken: token });
      expect(page.objects.length).toBeLessThanOrEqual(2);
      paged.push(...page.objects.map((o) => o.key));
      token = page.nextContinuationToken;
      pages++;
    } while (token);
    expect(paged).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 2));

    const root1 = await storage.list('b', { delimiter: '/' });
    expect(root1.objects.map((o) => o.key)).toEqual(['a-b', 'a0', 'b', 'x.json', 'x.json.json', 'é']);
    expect(root1.commonPrefixes).toEqual(['a/', 'z/']);

    const inA = await storage.list('b', { prefix: 'a/', delimiter: '/' });
    expect(inA.objects.map((o) => o.key)).toEqual(['a/b']);
    expect(inA.commonPrefixes).toEqual(['a/c/']);

    const partial = await storage.list('b', { prefix: 'a' });
    expect(partial.objects.map((o) => o.key)).toEqual(['a-b', 'a/b', 'a/c/d', 'a/c/e', 'a0']);

    expect((await storage.list('b', { startAfter: 'a/c/d' })).objects[0].key).toBe('a/c/e');

    // common prefixes count toward maxKeys and paging never repeats them
    const first = await storage.list('b', { delimiter: '/', maxKeys: 2 });
    expect([...first.objects.map((o) => o.key), ...first.commonPrefixes]).toEqual(['a-b', 'a/']);
    const second = await storage.list('b', { delimiter: '/', maxKeys: 2, continuationToken: first.nextContinuationToken });
    expect(second.objects.map((o) => o.key)).toEqual(['a0', 'b']);
    expect(second.commonPrefixes).toEqual([]);
  });

  it('never lists sidecars or temp files, whatever the keys look like', async () => {
    await storage.put('b', 'x.json', { buffer: Buffer.from('1') }, { metadata: { m: '1' } });
    await storage.put('b', '.dg-meta', { buffer: Buffer.from('2') });
    await storage.put('b', '.dg-tmp/y', { buffer: Buffer.from('3') });
    const keys: string[] = [];
    for await (const o of listAll(storage, 'b')) keys.push(o.key);
    expect(keys).toEqual(['.dg-meta', '.dg-tmp/y', 'x.json']);
    expect((await storage.listBuckets()).map((b) => b.name)).toEqual(['b']);
  });

  it('rejects keys that escape the root or cannot be files', async () => {
    for (const key of ['../x', 'a/../../x', '/etc/passwd', 'a//b', 'a/', './a', '', 'a\0b']) {
      await expectCode(storage.put('b', key, { buffer: Buffer.from('x') }), 'ERR_DG_USAGE');
      await expectCode(storage.get('b', key), 'ERR_DG_USAGE');
    }
    await expectCode(storage.createBucket('../evil'), 'ERR_DG_USAGE');
    await expectCode(storage.get('..', 'x'), 'ERR_DG_USAGE');
  });

  it('a key that is both object and folder is a clear usage error', async () => {
    await storage.put('b', 'a', { buffer: Buffer.from('x') });
    await expectCode(storage.put('b', 'a/b', { buffer: Buffer.from('y') }), 'ERR_DG_USAGE');
  });

  it('conditional put: exactly one of many concurrent writers wins', async () => {
    const attempts = Array.from({ length: 24 }, (_, i) =>
      storage.put('b', 'race/reference.bin', { buffer: Buffer.from(`writer ${i}`) }, { ifNoneMatch: true, metadata: { w: String(i) } }),
    );
    const results = await Promise.allSettled(attempts);
    const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(isDeltaGliderError(r.reason, 'ERR_DG_PRECONDITION_FAILED')).toBe(true);
    }
    const got = await storage.get('b', 'race/reference.bin');
    expect(await text(got.body)).toBe(`writer ${winners[0]}`);
    expect(got.head.metadata).toEqual({ w: String(winners[0]) });
    expect(readdirSync(join(root, '.dg-meta', 'b'))).toHaveLength(1);
    expect(readdirSync(join(root, '.dg-tmp'))).toEqual([]);
  });

  it('delete, deleteMany and pruning of empty folders', async () => {
    for (const k of ['d/1', 'd/2', 'd/e/3']) await storage.put('b', k, { buffer: Buffer.from(k) });
    await storage.delete('b', 'missing'); // idempotent like S3
    const result = await storage.deleteMany('b', ['d/1', 'd/e/3', 'bad/../x']);
    expect(result.deleted).toEqual(['d/1', 'd/e/3']);
    expect(result.errors).toEqual([expect.objectContaining({ key: 'bad/../x', code: 'ERR_DG_USAGE' })]);
    expect(readdirSync(join(root, 'b', 'd'))).toEqual(['2']);
    await storage.delete('b', 'd/2');
    expect(readdirSync(join(root, 'b'))).toEqual([]);
    // the folder is gone, so the key can now be an object
    await storage.put('b', 'd', { buffer: Buffer.from('now a file') });
    expect((await storage.head('b', 'd'))?.size).toBe(10);
  });

  it('copy keeps or replaces metadata', async () => {
    await storage.createBucket('c');
    await storage.put('b', 'src', { buffer: Buffer.from('payload') }, { metadata: { a: '1' }, contentType: 'x/y' });
    await storage.copy('b', 'src', 'c', 'kept');
    await storage.copy('b', 'src', 'c', 'replaced', { metadata: { b: '2' } });
    expect(await storage.head('c', 'kept')).toMatchObject({ size: 7, metadata: { a: '1' }, contentType: 'x/y' });
    expect(await storage.head('c', 'replaced')).toMatchObject({ metadata: { b: '2' } });
    expect(await text((await storage.get('c', 'replaced')).body)).toBe('payload');
    await expectCode(storage.copy('b', 'nope', 'c', 'x'), 'ERR_DG_NOT_FOUND');
  });

  it('bucket operations', async () => {
    expect(await storage.bucketExists('b')).toBe(true);
    expect(await storage.bucketExists('c')).toBe(false);
    await storage.createBucket('c');
    await expectCode(storage.createBucket('c'), 'ERR_DG_ALREADY_EXISTS');
    expect((await storage.listBuckets()).map((b) => b.name)).toEqual(['b', 'c']);
    await storage.put('c', 'k/v', { buffer: Buffer.from('x') });
    await expectCode(storage.deleteBucket('c'), 'ERR_DG_BUCKET_NOT_EMPTY');
    await storage.delete('c', 'k/v');
    await storage.deleteBucket('c');
    expect(await storage.bucketExists('c')).toBe(false);
    await expectCode(storage.deleteBucket('c'), 'ERR_DG_BUCKET_NOT_FOUND');
  });

  it('presignGet is not implemented, with a clear message', async () => {
    await expect(storage.presignGet('b', 'k', 60)).rejects.toMatchObject({ code: 'ERR_DG_NOT_IMPLEMENTED', message: expect.stringContaining('local directory') });
  });

  it('createStorage picks FsStorage for file:// endpoints and S3 otherwise', () => {
    const fs = createStorage({ endpointUrl: `file://${root}` });
    expect(fs).toBeInstanceOf(FsStorage);
    expect(fs.description).toBe(`file://${root}`);
    const s3 = createStorage({ endpointUrl: 'http://127.0.0.1:1' }, {});
    expect(s3.description).toBe('s3 (http://127.0.0.1:1)');
    expect(createStorage({}, { AWS_ENDPOINT_URL: `file://${root}` })).toBeInstanceOf(FsStorage);
  });
});
