/**
 * The point of DeltaGliderClient: code written for S3Client keeps working when the client is
 * swapped. `storeArtifacts` below is ordinary S3Client code, typed against the SDK; it is
 * run once with the DeltaGlider client on a file:// store, and must compile and behave.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  SelectObjectContentCommand,
} from '@aws-sdk/client-s3';

import { createClient, type DeltaGliderClient } from '../../lib/client';
import { isDeltaGliderError } from '../../lib/errors';
import { randomBytes, sparseEdits } from '../helpers/gen-data';
import { sha256 } from '../helpers/core-fixture';
import { withRefsShort } from '../helpers/references';

/**
 * Ordinary S3Client code. The swap is one line where the client is made
 * (`new S3Client(config)` -> `createClient(config)`) and the parameter's type; the body is
 * untouched and type-checks against the SDK's own command and output types.
 */
async function storeArtifacts(client: DeltaGliderClient /* was: S3Client */, bucket: string, builds: Buffer[]): Promise<string[]> {
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  for (let i = 0; i < builds.length; i++) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `releases/app-${i}.zip`, Body: builds[i], ContentType: 'application/zip' }));
  }
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'releases/' }));
  return (listed.Contents ?? []).map((o) => `${o.Key}:${o.Size}`);
}

describe('DeltaGliderClient as a drop-in for S3Client (file:// store)', () => {
  let root: string;
  let client: DeltaGliderClient;
  const base = randomBytes(120_000, 11);
  const builds = [base, sparseEdits(base, 3000, 12), sparseEdits(base, 3000, 13)];

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'dg-client-'));
    client = createClient({
      endpoint: pathToFileURL(join(root, 'store')).href,
      cacheDir: join(root, 'cache'),
      env: {},
    });
  });
  afterAll(async () => {
    await client.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('runs S3Client code unchanged: put, list with original sizes', async () => {
    const listing = await storeArtifacts(client, 'artifacts', builds);
    expect(listing).toEqual(builds.map((b, i) => `releases/app-${i}.zip:${b.length}`));
    // ...while the store really holds deltas
    const page = await client.storage.list('artifacts', { prefix: 'releases/' });
    expect(withRefsShort(page.objects.map((o) => o.key))).toEqual(expect.arrayContaining(['releases/[ref]', 'releases/app-1.zip.delta']));
  });

  it('getObject rebuilds a delta; the Body has the SDK helpers', async () => {
    const got = await client.send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'releases/app-2.zip' }));
    expect(got.ContentLength).toBe(builds[2].length);
    const bytes = await got.Body!.transformToByteArray();
    expect(sha256(Buffer.from(bytes))).toBe(sha256(builds[2]));
    expect(Buffer.from(got.ChecksumSHA256!, 'base64').toString('hex')).toBe(sha256(builds[2]));

    const text = await client.putObject({ Bucket: 'artifacts', Key: 'notes/readme.txt', Body: 'héllo', Metadata: { team: 'ci' } });
    expect(text.DeltaGlider.storedAs).toBe('direct');
    const again = await client.getObject({ Bucket: 'artifacts', Key: 'notes/readme.txt' });
    expect(await again.Body!.transformToString()).toBe('héllo');
    expect(again.Metadata).toEqual({ team: 'ci' });
    const web = (await client.getObject({ Bucket: 'artifacts', Key: 'notes/readme.txt' })).Body!.transformToWebStream();
    const chunks: Uint8Array[] = [];
    for await (const c of web as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('héllo');
  });

  it('getObject serves byte ranges of a rebuilt delta', async () => {
    const part = await client.getObject({ Bucket: 'artifacts', Key: 'releases/app-1.zip', Range: 'bytes=1000-70999' });
    expect(part.$metadata.httpStatusCode).toBe(206);
    expect(part.ContentLength).toBe(70_000);
    expect(part.ContentRange).toBe(`bytes 1000-70999/${builds[1].length}`);
    expect(Buffer.from(await part.Body!.transformToByteArray()).equals(builds[1].subarray(1000, 71_000))).toBe(true);
    const tail = await client.getObject({ Bucket: 'artifacts', Key: 'releases/app-1.zip', Range: 'bytes=-10' });
    expect(Buffer.from(await tail.Body!.transformToByteArray()).equals(builds[1].subarray(-10))).toBe(true);
    const bad = await client.getObject({ Bucket: 'artifacts', Key: 'releases/app-1.zip', Range: `bytes=${builds[1].length}-` }).catch((e: Error) => e);
    expect(isDeltaGliderError(bad, 'ERR_DG_INVALID_ARGUMENT')).toBe(true);
  });

  it('headObject answers for logical keys with the original size; missing keys look like S3 errors', async () => {
    const head = await client.send(new HeadObjectCommand({ Bucket: 'artifacts', Key: 'releases/app-1.zip' }));
    expect(head.ContentLength).toBe(builds[1].length);
    expect(head.ContentType).toBe('application/zip');
    const err = await client.send(new HeadObjectCommand({ Bucket: 'artifacts', Key: 'nope' })).catch((e) => e);
    expect(err.name).toBe('NotFound');
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(isDeltaGliderError(err, 'ERR_DG_NOT_FOUND')).toBe(true);
    const getErr = await client.getObject({ Bucket: 'artifacts', Key: 'nope' }).catch((e) => e);
    expect(getErr.name).toBe('NoSuchKey');
  });

  it('accepts a stream Body and pages listings with ContinuationToken and Delimiter', async () => {
    for (let i = 0; i < 5; i++) {
      await client.putObject({ Bucket: 'artifacts', Key: `many/f${i}.txt`, Body: Readable.from([Buffer.from(`file ${i}`)]) });
    }
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.listObjectsV2({ Bucket: 'artifacts', Prefix: 'many/', MaxKeys: 2, ContinuationToken: token });
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
      expect(page.IsTruncated).toBe(token !== undefined);
    } while (token);
    expect(keys).toEqual([0, 1, 2, 3, 4].map((i) => `many/f${i}.txt`));

    const top = await client.listObjectsV2({ Bucket: 'artifacts', Delimiter: '/' });
    expect((top.CommonPrefixes ?? []).map((p) => p.Prefix).sort()).toEqual(['many/', 'notes/', 'releases/']);
    expect(top.Contents ?? []).toEqual([]);
  });

  it('copyObject rebuilds and re-stores; deleteObjects keeps a reference while a delta needs it', async () => {
    await client.send(new CopyObjectCommand({ Bucket: 'artifacts', Key: 'copies/app-1.zip', CopySource: 'artifacts/releases/app-1.zip' }));
    const copied = await client.getObject({ Bucket: 'artifacts', Key: 'copies/app-1.zip' });
    expect(sha256(Buffer.from(await copied.Body!.transformToByteArray()))).toBe(sha256(builds[1]));

    const out = await client.send(
      new DeleteObjectsCommand({ Bucket: 'artifacts', Delete: { Objects: [{ Key: 'releases/app-0.zip' }, { Key: 'releases/app-1.zip' }] } }),
    );
    expect((out.Deleted ?? []).map((d) => d.Key).sort()).toEqual(['releases/app-0.zip', 'releases/app-1.zip']);
    let stored = (await client.storage.list('artifacts', { prefix: 'releases/' })).objects.map((o) => o.key);
    expect(withRefsShort(stored)).toContain('releases/[ref]'); // app-2 still needs it
    await client.send(new DeleteObjectCommand({ Bucket: 'artifacts', Key: 'releases/app-2.zip' }));
    stored = (await client.storage.list('artifacts', { prefix: 'releases/' })).objects.map((o) => o.key);
    expect(stored).toEqual([]);
  });

  it('lists buckets, and rejects commands it does not implement by name', async () => {
    const buckets = await client.send(new ListBucketsCommand({}));
    expect((buckets.Buckets ?? []).map((b) => b.Name)).toContain('artifacts');
    const err = await client
      .send(new SelectObjectContentCommand({ Bucket: 'artifacts', Key: 'k', Expression: 'x', ExpressionType: 'SQL', InputSerialization: {}, OutputSerialization: {} }))
      .catch((e: Error) => e);
    expect(isDeltaGliderError(err, 'ERR_DG_NOT_IMPLEMENTED')).toBe(true);
    expect((err as Error).message).toContain('SelectObjectContentCommand');
  });

  it('extras: upload/download/verify, stats, batches; ACLs say they are unsupported on file://', async () => {
    const file = join(root, 'build.zip');
    writeFileSync(file, builds[1]);
    const put = await client.upload(file, 's3://artifacts/extra/');
    expect(put.key).toBe('extra/build.zip');
    const dest = join(root, 'back.zip');
    await client.download('s3://artifacts/extra/build.zip', dest);
    expect(readFileSync(dest).equals(builds[1])).toBe(true);
    expect((await client.verify('s3://artifacts/extra/build.zip')).valid).toBe(true);

    const files = [0, 1, 2].map((i) => {
      const p = join(root, `batch-${i}.zip`);
      writeFileSync(p, builds[i]);
      return p;
    });
    const results = await client.uploadBatch(files.map((p, i) => ({ file: p, s3Url: `s3://artifacts/batch/b${i}.zip` })), { concurrency: 2 });
    expect(results.every((r) => r.ok)).toBe(true);
    const downs = await client.downloadBatch([
      { s3Url: 's3://artifacts/batch/b2.zip', file: join(root, 'd2.zip') },
      { s3Url: 's3://artifacts/batch/missing.zip', file: join(root, 'dm.zip') },
    ]);
    expect(downs.map((d) => d.ok)).toEqual([true, false]);
    expect(readFileSync(join(root, 'd2.zip')).equals(builds[2])).toBe(true);

    const stats = await client.getBucketStats('artifacts', { mode: 'detailed' });
    expect(stats.deltaCount).toBeGreaterThanOrEqual(3);
    expect(stats.originalSize).toBeGreaterThan(stats.storedSize);

    const acl = await client.getBucketAcl({ Bucket: 'artifacts' }).catch((e) => e);
    expect(isDeltaGliderError(acl, 'ERR_DG_NOT_IMPLEMENTED')).toBe(true);
    await client.clearCache();
    expect((await client.verify('s3://artifacts/batch/b1.zip')).valid).toBe(true);
  });
});
