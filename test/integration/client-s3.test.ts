/**
 * DeltaGliderClient against a real S3 server (s3rver): the S3Client-shaped methods, presigned
 * downloads of delta objects fetched over plain HTTP, purge with an injected clock, stats
 * cache, migrate of a prefix that already holds deltas. s3rver has no ACLs: the passthrough
 * is checked with a mocked S3Client, and the error against s3rver must be clear.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  GetBucketAclCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketAclCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

import { createClient, type DeltaGliderClient } from '../../lib/client';
import { S3BucketAcl } from '../../lib/adapters/s3-bucket-acl';
import { migrate } from '../../lib/core/migrate';
import { computeBucketStats } from '../../lib/core/stats';
import { isDeltaGliderError } from '../../lib/errors';
import { sha256 } from '../helpers/core-fixture';
import { randomBytes, sparseEdits } from '../helpers/gen-data';
import { withRefsShort } from '../helpers/references';

const endpoint = (): string => {
  const value = process.env.DG_TEST_S3_ENDPOINT;
  if (!value) throw new Error('DG_TEST_S3_ENDPOINT is not set (run with --selectProjects integration)');
  return value;
};

describe('DeltaGliderClient against s3rver', () => {
  const bucket = `client-it-${Date.now().toString(36)}-${process.pid}`;
  let root: string;
  let now = new Date('2030-01-01T00:00:00Z');
  let client: DeltaGliderClient;
  const base = randomBytes(250_000, 41);
  const builds = [base, sparseEdits(base, 5000, 42), sparseEdits(base, 5000, 43)];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'dg-client-it-'));
    client = createClient({
      endpoint: endpoint(),
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      cacheDir: join(root, 'cache'),
      clock: { now: () => now },
      env: {},
    });
    await client.createBucket({ Bucket: bucket });
    for (let i = 0; i < builds.length; i++) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `rel/app-${i}.zip`, Body: builds[i] }));
    }
  });
  afterAll(async () => {
    await client?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('stores deltas and reads them back through the SDK-shaped API', async () => {
    const raw = await client.storage.list(bucket, { prefix: 'rel/' });
    expect(withRefsShort(raw.objects.map((o) => o.key))).toEqual(['rel/[ref]', 'rel/app-0.zip.delta', 'rel/app-1.zip.delta', 'rel/app-2.zip.delta']);
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'rel/' }));
    expect((listed.Contents ?? []).map((o) => [o.Key, o.Size])).toEqual(builds.map((b, i) => [`rel/app-${i}.zip`, b.length]));
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'rel/app-2.zip' }));
    expect(sha256(Buffer.from(await got.Body!.transformToByteArray()))).toBe(sha256(builds[2]));
    const head = await client.headObject({ Bucket: bucket, Key: 'rel/app-1.zip' });
    expect(head.ContentLength).toBe(builds[1].length);
  });

  it('pages listObjectsV2 with MaxKeys and ContinuationToken (hidden keys never shown)', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.listObjectsV2({ Bucket: bucket, Prefix: 'rel/', MaxKeys: 1, ContinuationToken: token });
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
      pages++;
    } while (token && pages < 20);
    expect(seen).toEqual(['rel/app-0.zip', 'rel/app-1.zip', 'rel/app-2.zip']);
  });

  it('a presigned URL of a delta object downloads the exact original bytes over plain HTTP', async () => {
    now = new Date(); // s3rver checks the signature's date against its own clock
    const url = await client.generatePresignedUrl(`s3://${bucket}/rel/app-1.zip`, { expiresIn: 300 });
    expect(url).toContain('.deltaglider/tmp/');
    const response = await fetch(url);
    expect(response.status).toBe(200);
    const body = Buffer.from(await response.arrayBuffer());
    expect(body.length).toBe(builds[1].length);
    expect(sha256(body)).toBe(sha256(builds[1]));
    expect(response.headers.get('content-disposition')).toContain('app-1.zip');
  });

  it('purge deletes only the copies whose expiry has passed (injected clock)', async () => {
    now = new Date('2031-06-01T12:00:00Z');
    const short = await client.rehydrateForDownload(`s3://${bucket}/rel/app-2.zip`, { expiresIn: 60 });
    const long = await client.rehydrateForDownload(`s3://${bucket}/rel/app-0.zip`, { expiresIn: 7200 });
    now = new Date('2031-06-01T12:30:00Z');
    const result = await client.purgeTempFiles(bucket);
    expect(result.deleted).toContain(short.key);
    expect(result.deleted).not.toContain(long.key);
    expect(result.errors).toEqual([]);
    expect(await client.storage.head(bucket, short.key)).toBeNull();
    expect(await client.storage.head(bucket, long.key)).not.toBeNull();
    now = new Date('2031-06-01T15:00:00Z');
    expect((await client.purgeTempFiles(bucket)).deleted).toEqual([long.key]);
  });

  it('stats writes its cache object, validates it against the listing, and refreshes', async () => {
    const first = await computeBucketStats(client.storage, bucket, { mode: 'detailed' });
    expect(first).toMatchObject({ fromCache: false, cacheWritten: true });
    expect(first.stats.originalSize).toBe(builds.reduce((n, b) => n + b.length, 0));
    const { body } = await client.storage.get(bucket, '.deltaglider/stats_detailed.json');
    const doc = JSON.parse(Buffer.concat(await body.toArray()).toString('utf8'));
    expect(doc).toMatchObject({ version: '1.0', mode: 'detailed', validation: { object_count: 4 } });
    expect((await computeBucketStats(client.storage, bucket, { mode: 'detailed' })).fromCache).toBe(true);
    await client.putObject({ Bucket: bucket, Key: 'rel/extra.txt', Body: 'x' });
    const after = await computeBucketStats(client.storage, bucket, { mode: 'detailed' });
    expect(after.fromCache).toBe(false);
    expect(after.stats.objectCount).toBe(4);
    expect((await computeBucketStats(client.storage, bucket, { mode: 'detailed', refresh: true })).fromCache).toBe(false);
    await client.deleteObject({ Bucket: bucket, Key: 'rel/extra.txt' });
  });

  it('migrates a prefix that already holds deltas into another bucket, and resumes', async () => {
    const dst = `${bucket}-dst`;
    await client.createBucket({ Bucket: dst });
    const summary = await migrate(client.service, client.service, { sourceBucket: bucket, sourcePrefix: 'rel/', destBucket: dst, destPrefix: 'moved/' });
    expect(summary).toMatchObject({ migrated: 3, failed: 0 });
    const out = join(root, 'migrated.zip');
    await client.download(`s3://${dst}/moved/rel/app-2.zip`, out);
    expect((await client.verify(`s3://${dst}/moved/rel/app-2.zip`)).valid).toBe(true);
    const again = await migrate(client.service, client.service, { sourceBucket: bucket, sourcePrefix: 'rel/', destBucket: dst, destPrefix: 'moved/' });
    expect(again).toMatchObject({ migrated: 0, skipped: 3 });
  });

  it('bucket ACLs: s3rver answers NotImplemented, reported clearly', async () => {
    const err = await client.getBucketAcl({ Bucket: bucket }).catch((e: Error) => e);
    expect(isDeltaGliderError(err, 'ERR_DG_NOT_IMPLEMENTED')).toBe(true);
    expect((err as Error).message).toMatch(/does not support bucket ACLs/);
    const putErr = await client.send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'private' })).catch((e: Error) => e);
    expect(isDeltaGliderError(putErr, 'ERR_DG_NOT_IMPLEMENTED')).toBe(true);
  });
});

describe('bucket ACL passthrough (mocked S3Client)', () => {
  function mockedClient(reply: (command: unknown) => unknown) {
    const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const sent: unknown[] = [];
    s3.send = (async (command: unknown) => {
      sent.push(command);
      return reply(command);
    }) as S3Client['send'];
    return { s3, sent };
  }

  it('passes every PutBucketAcl field through and returns GetBucketAcl as aws s3api prints it', async () => {
    const policy = {
      Owner: { ID: 'owner-id', DisplayName: 'me' },
      Grants: [{ Grantee: { Type: 'Group' as const, URI: 'http://acs.amazonaws.com/groups/global/AllUsers' }, Permission: 'READ' as const }],
    };
    const { s3, sent } = mockedClient((command) => (command instanceof GetBucketAclCommand ? { $metadata: {}, ...policy } : { $metadata: {} }));
    const client = createClient({ s3Client: s3, cacheBackend: 'memory', env: {} });
    await client.putBucketAcl({ Bucket: 'b', ACL: 'public-read', GrantRead: 'id=abc', GrantFullControl: 'id=me', AccessControlPolicy: policy });
    const put = sent[0] as PutBucketAclCommand;
    expect(put).toBeInstanceOf(PutBucketAclCommand);
    expect(put.input).toMatchObject({ Bucket: 'b', ACL: 'public-read', GrantRead: 'id=abc', GrantFullControl: 'id=me', AccessControlPolicy: policy });
    expect(await client.getBucketAcl({ Bucket: 'b' })).toMatchObject(policy);
    const direct = new S3BucketAcl(s3);
    expect(await direct.getBucketAcl('b')).toEqual(policy);
    await expect(direct.putBucketAcl({ bucket: 'b' })).rejects.toMatchObject({ code: 'ERR_DG_USAGE' });
    await client.close();
  });

  it('maps AccessDenied and NoSuchBucket to DeltaGlider codes', async () => {
    const fail = (name: string, status: number) =>
      mockedClient(() => {
        throw Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
      }).s3;
    await expect(new S3BucketAcl(fail('AccessDenied', 403)).getBucketAcl('b')).rejects.toMatchObject({ code: 'ERR_DG_ACCESS_DENIED' });
    await expect(new S3BucketAcl(fail('NoSuchBucket', 404)).getBucketAcl('b')).rejects.toMatchObject({ code: 'ERR_DG_BUCKET_NOT_FOUND' });
    await expect(new S3BucketAcl(fail('AccessControlListNotSupported', 400)).putBucketAcl({ bucket: 'b', acl: 'private' })).rejects.toMatchObject({
      code: 'ERR_DG_NOT_IMPLEMENTED',
    });
  });
});
