/** stats, migrate, presign, purge, mb, rb and the ACL passthroughs through main(), on a file:// store. */
import { writeFileSync } from 'node:fs';

import { PassThrough } from 'node:stream';

import { main } from '../../lib/cli/main';
import { referenceOf, withRefsShort } from '../helpers/references';
import { CliHarness, nextVersion, randomBytes } from './cli-harness';

/** Runs main() with a terminal-like stdin carrying `answer`. */
async function runWithTty(h: CliHarness, args: string[], answer: string): Promise<{ code: number; stderr: string }> {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  stdin.end(answer);
  const out = new PassThrough().resume();
  const err = new PassThrough();
  let stderr = '';
  err.on('data', (d) => (stderr += d));
  const code = await main(args, { stdout: out, stderr: err, stdin, stdoutIsTTY: false, stderrIsTTY: false, env: h.env, cwd: h.cwd });
  return { code, stderr };
}

describe('cli bucket-level commands (file:// store)', () => {
  let h: CliHarness;
  const v1 = randomBytes(120_000, 31);
  const v2 = nextVersion(v1, 32);

  beforeEach(async () => {
    h = new CliHarness();
    await h.makeBucket('bkt');
    writeFileSync(h.path('app-1.zip'), v1);
    writeFileSync(h.path('app-2.zip'), v2);
    writeFileSync(h.path('readme.txt'), 'hello\n');
    for (const [file, dest] of [['app-1.zip', 's3://bkt/rel/'], ['app-2.zip', 's3://bkt/rel/'], ['readme.txt', 's3://bkt/']]) {
      const r = await h.run(['cp', file, dest]);
      if (r.code !== 0) throw new Error(r.stderr);
    }
  });
  afterEach(() => h.cleanup());

  it('stats prints savings, caches the result and --refresh / --no-cache behave', async () => {
    const r = await h.run(['stats', 'bkt', '--mode', 'detailed']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Objects:         3 (2 delta, 1 direct; 1 reference)');
    expect(r.stdout).toContain(`Original size:   `);
    expect(r.stdout).toContain(`(${v1.length + v2.length + 6} bytes)`);
    expect(r.stdout).not.toContain('cached result');
    expect(await h.storage().head('bkt', '.deltaglider/stats_detailed.json')).not.toBeNull();

    const cached = JSON.parse((await h.run(['stats', 's3://bkt', '--mode', 'detailed', '--json'])).stdout);
    expect(cached.fromCache).toBe(true);
    expect(cached.originalSize).toBe(v1.length + v2.length + 6);
    expect(cached.estimated).toBe(false);
    expect(JSON.parse((await h.run(['stats', 'bkt', '--mode', 'detailed', '--refresh', '--json'])).stdout).fromCache).toBe(false);

    const quick = await h.run(['stats', 'bkt', '--no-cache']);
    expect(quick.stdout).toContain('estimated in quick mode');
    expect(await h.storage().head('bkt', '.deltaglider/stats_quick.json')).toBeNull();
    const capped = await h.run(['stats', 'bkt', '--max-objects', '1']);
    expect(capped.stdout).toContain('the listing was capped');
    expect((await h.run(['stats', 'bkt', '--mode', 'bogus'])).code).toBe(2);
  });

  it('migrate needs --yes without a terminal, copies deltas (rebuilt) and resumes', async () => {
    await h.makeBucket('dst');
    const refused = await h.run(['migrate', 's3://bkt/rel/', 's3://dst/']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');

    const dry = await h.run(['migrate', 's3://bkt/rel/', 's3://dst/', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('(dryrun) migrate: s3://bkt/rel/app-2.zip to s3://dst/rel/app-2.zip');
    expect((await h.storage().list('dst')).objects).toEqual([]);

    const run = await h.run(['migrate', 's3://bkt/rel/', 's3://dst/', '--yes']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('migrated 2, skipped 0 (already there), failed 0');
    expect(run.stdout).toMatch(/% saved/);
    const keys = withRefsShort((await h.storage().list('dst')).objects.map((o) => o.key));
    expect(keys).toEqual(['rel/[ref]', 'rel/app-1.zip.delta', 'rel/app-2.zip.delta']);

    const again = JSON.parse((await h.run(['migrate', 's3://bkt/rel/', 's3://dst/', '--yes', '--json'])).stdout);
    expect(again).toMatchObject({ migrated: 0, skipped: 2 });

    const flat = await h.run(['migrate', 's3://bkt/rel/', 's3://dst/flat/', '--yes', '--no-preserve-prefix', '--exclude', '*-1.zip']);
    expect(flat.code).toBe(0);
    expect(withRefsShort((await h.storage().list('dst', { prefix: 'flat/' })).objects.map((o) => o.key))).toEqual(['flat/[ref]', 'flat/app-2.zip.delta']);
  });

  it('migrate asks on a terminal and writes nothing unless the answer is yes', async () => {
    await h.makeBucket('dst');
    const no = await runWithTty(h, ['migrate', 's3://bkt/rel/', 's3://dst/'], 'n\n');
    expect(no.code).toBe(1);
    expect(no.stderr).toContain('[y/N]');
    expect((await h.storage().list('dst')).objects).toEqual([]);
    const yes = await runWithTty(h, ['migrate', 's3://bkt/rel/', 's3://dst/'], 'y\n');
    expect(yes.code).toBe(0);
    expect((await h.storage().list('dst')).objects).toHaveLength(3);
  });

  it('presign on a file:// store says why it cannot, and leaves no temporary copy', async () => {
    const r = await h.run(['presign', 's3://bkt/rel/app-2.zip']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERR_DG_NOT_IMPLEMENTED');
    expect((await h.storage().list('bkt', { prefix: '.deltaglider/' })).objects).toEqual([]);
    expect((await h.run(['presign', 's3://bkt/rel/', '--expires-in', '60'])).code).toBe(2);
    expect((await h.run(['presign', 's3://bkt/rel/app-2.zip', '--expires-in', '0'])).code).toBe(2);
  });

  it('purge deletes expired copies only and reports them', async () => {
    const storage = h.storage();
    const past = new Date(Date.now() - 60_000).toISOString();
    const future = new Date(Date.now() + 3600_000).toISOString();
    const put = (name: string, expires: string) =>
      storage.put('bkt', `.deltaglider/tmp/${'0'.repeat(32)}_${name}`, { buffer: Buffer.from(name) }, {
        metadata: { 'dg-expires-at': expires, 'dg-rehydrated': 'true', 'dg-original-key': `rel/${name}` },
      });
    await put('old.zip', past);
    await put('naive-old.zip', past.replace('Z', ''));
    await put('new.zip', future);
    const dry = await h.run(['purge', 'bkt', '--dry-run']);
    expect(dry.stdout).toContain('would delete 2 expired of 3');
    const r = await h.run(['purge', 'bkt']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deleted 2 expired of 3 temporary copies; 1 still valid');
    const left = (await storage.list('bkt', { prefix: '.deltaglider/tmp/' })).objects.map((o) => o.key);
    expect(left).toEqual([`.deltaglider/tmp/${'0'.repeat(32)}_new.zip`]);
    expect(JSON.parse((await h.run(['purge', 'bkt', '--json'])).stdout)).toMatchObject({ examined: 1, kept: 1, deleted: [] });
  });

  it('mb makes a bucket; rb refuses a non-empty one unless --force', async () => {
    const mb = await h.run(['mb', 's3://fresh']);
    expect(mb).toMatchObject({ code: 0, stdout: 'make_bucket: fresh\n' });
    expect((await h.run(['mb', 's3://fresh'])).code).toBe(1);
    expect(await h.run(['rb', 's3://fresh'])).toMatchObject({ code: 0, stdout: 'remove_bucket: fresh\n' });

    const refused = await h.run(['rb', 's3://bkt']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('ERR_DG_BUCKET_NOT_EMPTY');
    const ref = await referenceOf(h.storage(), 'bkt', 'rel');
    const forced = await h.run(['rb', 's3://bkt', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`delete: s3://bkt/${ref}`);
    expect(forced.stdout).toMatch(/remove_bucket: bkt\n$/);
    expect(await h.storage().bucketExists('bkt')).toBe(false);
    expect((await h.run(['mb', 's3://bkt/key'])).code).toBe(2);
  });

  it('ACL passthroughs explain that a file:// store has no ACLs; a bad policy is a usage error', async () => {
    const get = await h.run(['get-bucket-acl', '--bucket', 'bkt']);
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(/bucket ACLs are not supported by .*\(ERR_DG_NOT_IMPLEMENTED\)/);
    const put = await h.run(['put-bucket-acl', '--bucket', 'bkt', '--acl', 'private']);
    expect(put.code).toBe(1);
    const bad = await h.run(['put-bucket-acl', '--bucket', 'bkt', '--access-control-policy', '{not json']);
    expect(bad.code).toBe(2);
    expect((await h.run(['put-bucket-acl', '--bucket', 'bkt', '--acl', 'everyone'])).code).toBe(2);
    writeFileSync(h.path('policy.json'), '["not", "an", "object"]');
    const shape = await h.run(['put-bucket-acl', '--bucket', 'bkt', '--access-control-policy', 'file://policy.json']);
    expect(shape.code).toBe(2);
    expect(shape.stderr).toContain('must be a JSON object');
  });
});
