/** `deltaglider ls`, `rm` and `verify` end to end through main(), on a file:// store. */
import { writeFileSync } from 'node:fs';

import { referencesOf } from '../helpers/references';
import { CliHarness, corruptDelta, nextVersion, randomBytes } from './cli-harness';

describe('cli ls / rm / verify (file:// store)', () => {
  let h: CliHarness;
  const v1 = randomBytes(150_000, 3);
  const v2 = nextVersion(v1, 5);

  beforeEach(async () => {
    h = new CliHarness();
    await h.makeBucket('bkt');
    writeFileSync(h.path('app-1.zip'), v1);
    writeFileSync(h.path('app-2.zip'), v2);
    writeFileSync(h.path('readme.txt'), 'hello\n');
    for (const [file, dest] of [
      ['app-1.zip', 's3://bkt/rel/1/'],
      ['app-2.zip', 's3://bkt/rel/1/'],
      ['readme.txt', 's3://bkt/rel/'],
      ['app-1.zip', 's3://bkt/other/'],
    ]) {
      const r = await h.run(['cp', file, dest]);
      if (r.code !== 0) throw new Error(r.stderr);
    }
  });
  afterEach(() => h.cleanup());

  it('ls with no argument lists buckets', async () => {
    await h.makeBucket('second');
    const r = await h.run(['ls']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.replace(/^.{19} /, '')).sort()).toEqual(['bkt', 'second']);
    for (const line of lines) expect(line).toMatch(/^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d| {19}) \S+$/);
    expect(JSON.parse((await h.run(['ls', '--json'])).stdout).buckets.map((b: { name: string }) => b.name).sort()).toEqual(['bkt', 'second']);
  });

  it('ls shows PRE lines, logical names and original sizes, hiding reference.bin', async () => {
    const top = await h.run(['ls', 's3://bkt/rel/']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/^ {27}PRE 1\/\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {10}6 readme\.txt\n$/);

    const inner = await h.run(['ls', 's3://bkt/rel/1/']);
    const rows = inner.stdout.trim().split('\n').map((l) => l.slice(20).trim().split(/\s+/));
    expect(rows).toEqual([[String(v1.length), 'app-1.zip'], [String(v2.length), 'app-2.zip']]);
    expect(inner.stdout).not.toMatch(/reference\.bin|\.delta/);

    const all = await h.run(['ls', 's3://bkt', '--recursive', '--summarize', '--human-readable']);
    expect(all.stdout).not.toMatch(/reference\.bin|\.delta\b/);
    expect(all.stdout).toContain(' rel/1/app-2.zip\n');
    expect(all.stdout).toContain('\nTotal Objects: 4\n');
    expect(all.stdout).toMatch(/ {3}Total Size: [\d.]+ KiB\n$/);
  });

  it('ls hides .deltaglider/ at the bucket root, listed or recursive', async () => {
    await h.storage().put('bkt', '.deltaglider/tmp/0123_app.zip', { buffer: Buffer.from('x') });
    const root = await h.run(['ls', 's3://bkt']);
    expect(root.stdout.split('\n').filter(Boolean).map((l) => l.trim())).toEqual(['PRE other/', 'PRE rel/']);
    const all = await h.run(['ls', 's3://bkt', '--recursive']);
    expect(all.stdout).not.toContain('.deltaglider');
    expect(all.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('ls --json gives key, size, storedSize, kind, lastModified', async () => {
    const r = await h.run(['ls', 's3://bkt/rel/1/', '--json', '--summarize']);
    const doc = JSON.parse(r.stdout);
    expect(doc.prefixes).toEqual([]);
    const app2 = doc.objects.find((o: { key: string }) => o.key === 'rel/1/app-2.zip');
    expect(app2).toMatchObject({ size: v2.length, kind: 'delta' });
    expect(app2.storedSize).toBeLessThan(v2.length / 10);
    expect(new Date(app2.lastModified).getTime()).toBeGreaterThan(Date.now() - 600_000);
    expect(doc.summary).toMatchObject({ totalObjects: 2, totalSize: v1.length + v2.length });
  });

  it('takes the store from --endpoint-url as well as from AWS_ENDPOINT_URL', async () => {
    const endpoint = h.env.AWS_ENDPOINT_URL!;
    delete h.env.AWS_ENDPOINT_URL;
    const r = await h.run(['ls', 's3://bkt/rel/', '--endpoint-url', endpoint]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(' readme.txt\n');
    const bad = await h.run(['ls', 's3://bkt/', '--endpoint-url', 'file://relative/path']);
    expect(bad.code).toBe(2);
  });

  it('ls of a missing bucket fails with exit 1 and a code', async () => {
    const r = await h.run(['ls', 's3://no-such-bucket/']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\(ERR_DG_(BUCKET_NOT_FOUND|NOT_FOUND)\)/);
  });

  it('with --json a failure before any output is JSON on stdout too (and text on stderr)', async () => {
    const missing = await h.run(['verify', 's3://bkt/rel/1/nope.zip', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: 'ERR_DG_NOT_FOUND', message: expect.stringContaining('nope.zip') } });
    expect(missing.stderr).toContain('(ERR_DG_NOT_FOUND)');
    const usage = await h.run(['verify', 's3://bkt/rel/', '--json']);
    expect(usage.code).toBe(2);
    expect(JSON.parse(usage.stdout).error.code).toBe('ERR_DG_USAGE');
    const plain = await h.run(['verify', 's3://bkt/rel/1/nope.zip']);
    expect(plain.stdout).toBe('');
  });

  it('rm removes the reference only when no delta needs it', async () => {
    const storage = h.storage();
    const first = await h.run(['rm', 's3://bkt/rel/1/app-1.zip']);
    expect(first).toMatchObject({ code: 0, stdout: 'delete: s3://bkt/rel/1/app-1.zip\n' });
    expect(await referencesOf(storage, 'bkt', 'rel/1')).toHaveLength(1);
    // The remaining delta still rebuilds against the reference.
    expect((await h.run(['verify', 's3://bkt/rel/1/app-2.zip'])).code).toBe(0);

    expect((await h.run(['rm', 's3://bkt/rel/1/app-2.zip'])).code).toBe(0);
    expect(await referencesOf(storage, 'bkt', 'rel/1')).toEqual([]);
    expect(await referencesOf(storage, 'bkt', 'other')).toHaveLength(1);

    const missing = await h.run(['rm', 's3://bkt/rel/1/app-2.zip']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('s3://bkt/rel/1/app-2.zip does not exist (ERR_DG_NOT_FOUND)');
  });

  it('rm --recursive with --dryrun deletes nothing; with filters only the matches', async () => {
    const dry = await h.run(['rm', 's3://bkt/rel', '--recursive', '--dryrun']);
    expect(dry.stdout.split('\n').filter(Boolean).sort()).toEqual([
      '(dryrun) delete: s3://bkt/rel/1/app-1.zip',
      '(dryrun) delete: s3://bkt/rel/1/app-2.zip',
      '(dryrun) delete: s3://bkt/rel/readme.txt',
    ]);
    expect((await h.run(['ls', 's3://bkt', '--recursive', '--json'])).stdout).toContain('rel/1/app-1.zip');

    const some = await h.run(['rm', 's3://bkt/rel/', '--recursive', '--exclude', '*', '--include', '*.zip']);
    expect(some.code).toBe(0);
    expect(some.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'delete: s3://bkt/rel/1/app-1.zip',
      'delete: s3://bkt/rel/1/app-2.zip',
    ]);
    const left = JSON.parse((await h.run(['ls', 's3://bkt', '--recursive', '--json'])).stdout);
    expect(left.objects.map((o: { key: string }) => o.key).sort()).toEqual(['other/app-1.zip', 'rel/readme.txt']);
    expect(await referencesOf(h.storage(), 'bkt', 'rel/1')).toEqual([]);

    const rest = await h.run(['rm', 's3://bkt/', '--recursive']);
    expect(rest.code).toBe(0);
    expect((await h.storage().list('bkt')).objects).toEqual([]);
  });

  it('rm needs --recursive for a prefix and an s3:// URL', async () => {
    expect((await h.run(['rm', 's3://bkt/rel/'])).code).toBe(2);
    expect((await h.run(['rm', 'rel/readme.txt'])).code).toBe(2);
  });

  it('verify prints OK with the SHA-256, or FAILED with exit 1 on a corrupt delta', async () => {
    const ok = await h.run(['verify', 's3://bkt/rel/1/app-2.zip']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^OK s3:\/\/bkt\/rel\/1\/app-2\.zip \(sha256 [0-9a-f]{64}, delta\)\n$/);
    const direct = await h.run(['verify', 's3://bkt/rel/readme.txt', '--json']);
    expect(JSON.parse(direct.stdout)).toMatchObject({ valid: true, kind: 'direct', size: 6 });

    await corruptDelta(h, 'bkt', 'rel/1/app-2.zip.delta');
    const bad = await h.run(['verify', 's3://bkt/rel/1/app-2.zip']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^FAILED s3:\/\/bkt\/rel\/1\/app-2\.zip/);
    const badJson = JSON.parse((await h.run(['verify', 's3://bkt/rel/1/app-2.zip', '--json'])).stdout);
    expect(badJson.valid).toBe(false);

    const missing = await h.run(['verify', 's3://bkt/nothing.zip']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('s3://bkt/nothing.zip does not exist (ERR_DG_NOT_FOUND)');
  });
});
