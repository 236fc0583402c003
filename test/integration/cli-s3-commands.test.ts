/**
 * sync, stats, migrate, presign, purge, mb, rb and the ACL passthroughs through main(),
 * against s3rver.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

import { CliHarness, nextVersion, randomBytes } from '../unit/cli-harness';
import { sha256 } from '../helpers/core-fixture';
import { withRefsShort } from '../helpers/references';

describe('cli commands against s3rver', () => {
  const bucket = `cmds-it-${Date.now().toString(36)}-${process.pid}`;
  let h: CliHarness;
  const v1 = randomBytes(200_000, 51);
  const v2 = nextVersion(v1, 52);
  const v3 = nextVersion(v2, 53);
  /** Stored keys, write-once references shown as `<ds>/[ref]`. */
  const keys = async (b: string, prefix = '') => withRefsShort((await h.storage().list(b, { prefix })).objects.map((o) => o.key));

  beforeAll(async () => {
    const endpoint = process.env.DG_TEST_S3_ENDPOINT;
    if (!endpoint) throw new Error('DG_TEST_S3_ENDPOINT is not set (run with --selectProjects integration)');
    h = new CliHarness(endpoint);
    const mb = await h.run(['mb', `s3://${bucket}`]);
    expect(mb).toMatchObject({ code: 0, stdout: `make_bucket: ${bucket}\n` });
    mkdirSync(h.path('site', 'rel'), { recursive: true });
    writeFileSync(h.path('site', 'rel', 'app-1.zip'), v1);
    writeFileSync(h.path('site', 'rel', 'app-2.zip'), v2);
    writeFileSync(h.path('site', 'rel', 'app-3.zip'), v3);
    writeFileSync(h.path('site', 'index.txt'), 'index\n');
  });
  afterAll(() => h?.cleanup());

  it('sync uploads as deltas, a second sync transfers nothing, --delete keeps the needed reference', async () => {
    const first = await h.run(['sync', 'site', `s3://${bucket}/www/`]);
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toHaveLength(4);
    expect(await keys(bucket, 'www/rel/')).toEqual(['www/rel/[ref]', 'www/rel/app-1.zip.delta', 'www/rel/app-2.zip.delta', 'www/rel/app-3.zip.delta']);

    const second = await h.run(['sync', 'site', `s3://${bucket}/www/`, '--json']);
    expect(JSON.parse(second.stdout).summary).toEqual({ transferred: 0, deleted: 0, unchanged: 4, failed: 0 });
    const sizeOnly = await h.run(['sync', 'site', `s3://${bucket}/www/`, '--size-only', '--json']);
    expect(JSON.parse(sizeOnly.stdout).summary.transferred).toBe(0);

    rmSync(h.path('site', 'rel', 'app-1.zip'));
    const del = await h.run(['sync', 'site', `s3://${bucket}/www/`, '--delete']);
    expect(del.stdout.trim()).toBe(`delete: s3://${bucket}/www/rel/app-1.zip`);
    expect(await keys(bucket, 'www/rel/')).toEqual(['www/rel/[ref]', 'www/rel/app-2.zip.delta', 'www/rel/app-3.zip.delta']);

    const down = await h.run(['sync', `s3://${bucket}/www/`, 'copy']);
    expect(down.code).toBe(0);
    expect(readFileSync(h.path('copy', 'rel', 'app-3.zip')).equals(v3)).toBe(true);
    expect(JSON.parse((await h.run(['sync', `s3://${bucket}/www/`, 'copy', '--json'])).stdout).summary.transferred).toBe(0);
  });

  it('stats reports savings and reuses its cache', async () => {
    const r = await h.run(['stats', bucket, '--mode', 'detailed', '--json']);
    expect(r.code).toBe(0);
    const stats = JSON.parse(r.stdout);
    expect(stats).toMatchObject({ fromCache: false, deltaCount: 2, directCount: 1, originalSize: v2.length + v3.length + 6 });
    expect(stats.storedSize).toBeLessThan(stats.originalSize);
    expect(JSON.parse((await h.run(['stats', bucket, '--mode', 'detailed', '--json'])).stdout).fromCache).toBe(true);
    const text = await h.run(['stats', bucket, '--mode', 'sampled']);
    expect(text.stdout).toContain('Space saved:');
  });

  it('presign gives a URL that plain HTTP downloads as the exact original; purge keeps it until it expires', async () => {
    const r = await h.run(['presign', `s3://${bucket}/www/rel/app-2.zip`, '--expires-in', '600', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.rehydrated).toBe(true);
    const response = await fetch(out.url);
    expect(response.status).toBe(200);
    expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(v2));
    // A shorter URL for the same object hands out the same copy; it is not rebuilt.
    const again = JSON.parse((await h.run(['presign', `s3://${bucket}/www/rel/app-2.zip`, '--expires-in', '60', '--json'])).stdout);
    expect(again).toMatchObject({ servedKey: out.servedKey, reused: true, expiresAt: out.expiresAt });
    expect((await fetch(again.url)).status).toBe(200);

    const purge = await h.run(['purge', bucket, '--json']);
    expect(purge.code).toBe(0);
    expect(JSON.parse(purge.stdout)).toMatchObject({ examined: 1, kept: 1, deleted: [] });
    // make the copy expired, as time passing would
    const storage = h.storage();
    const head = await storage.head(bucket, out.servedKey);
    await storage.copy(bucket, out.servedKey, bucket, out.servedKey, {
      metadata: { ...head!.metadata, 'dg-expires-at': '2000-01-01T00:00:00' },
    });
    const expired = await h.run(['purge', `s3://${bucket}`]);
    expect(expired.code).toBe(0);
    expect(expired.stdout).toContain(`delete: s3://${bucket}/${out.servedKey}`);
    expect(await storage.head(bucket, out.servedKey)).toBeNull();
  });

  it('migrate copies a delta-holding prefix to another bucket and resumes', async () => {
    const dst = `${bucket}-mig`;
    expect((await h.run(['mb', `s3://${dst}`])).code).toBe(0);
    const r = await h.run(['migrate', `s3://${bucket}/www/`, `s3://${dst}/`, '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('migrated 3, skipped 0');
    expect(await keys(dst)).toEqual(['www/index.txt', 'www/rel/[ref]', 'www/rel/app-2.zip.delta', 'www/rel/app-3.zip.delta']);
    const again = await h.run(['migrate', `s3://${bucket}/www/`, `s3://${dst}/`, '--yes']);
    expect(again.stdout).toContain('migrated 0, skipped 3');
    const get = await h.run(['cp', `s3://${dst}/www/rel/app-3.zip`, 'mig.zip']);
    expect(get.code).toBe(0);
    expect(readFileSync(h.path('mig.zip')).equals(v3)).toBe(true);

    const refused = await h.run(['rb', `s3://${dst}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ERR_DG_BUCKET_NOT_EMPTY');
    const rb = await h.run(['rb', `s3://${dst}`, '--force']);
    expect(rb.stderr).toBe('');
    expect(rb.code).toBe(0);
    expect(await h.storage().bucketExists(dst)).toBe(false);
  });

  it('ACL passthroughs: s3rver has no ACLs and the error says so', async () => {
    const get = await h.run(['get-bucket-acl', '--bucket', bucket]);
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/NotImplemented.*does not support bucket ACLs \(ERR_DG_NOT_IMPLEMENTED\)/);
    const put = await h.run(['put-bucket-acl', '--bucket', bucket, '--grant-read', 'uri=http://acs.amazonaws.com/groups/global/AllUsers']);
    expect(put.code).toBe(1);
    expect(put.stderr).toContain('ERR_DG_NOT_IMPLEMENTED');
  });
});
