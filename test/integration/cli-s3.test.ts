/**
 * The CLI end to end against a real S3 server (s3rver, started by the global setup):
 * cp/ls/rm/verify through main(), and several PROCESSES racing the first uploads of one
 * empty deltaspace.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { CliHarness, corruptDelta, nextVersion, randomBytes } from '../unit/cli-harness';
import { referencesOf } from '../helpers/references';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'deltaglider');
const run = promisify(execFile);

describe('cli against s3rver', () => {
  const bucket = `cli-it-${Date.now().toString(36)}-${process.pid}`;
  let h: CliHarness;
  const v1 = randomBytes(300_000, 21);
  const v2 = nextVersion(v1, 22);
  const v3 = nextVersion(v2, 23);

  beforeAll(async () => {
    const endpoint = process.env.DG_TEST_S3_ENDPOINT;
    if (!endpoint) throw new Error('DG_TEST_S3_ENDPOINT is not set (run with --selectProjects integration)');
    h = new CliHarness(endpoint);
    await h.makeBucket(bucket);
    writeFileSync(h.path('app-1.zip'), v1);
    writeFileSync(h.path('app-2.zip'), v2);
    writeFileSync(h.path('app-3.zip'), v3);
    writeFileSync(h.path('notes.txt'), 'notes\n');
  });
  afterAll(() => h?.cleanup());

  it('round-trips reference, delta and direct objects byte-exact', async () => {
    const ref = await h.run(['cp', 'app-1.zip', `s3://${bucket}/rt/`]);
    expect(ref).toMatchObject({ code: 0, stdout: `upload: app-1.zip to s3://${bucket}/rt/app-1.zip (reference)\n` });
    const delta = await h.run(['cp', 'app-2.zip', `s3://${bucket}/rt/`]);
    expect(delta.stdout).toMatch(/\(delta, 293\.1 KiB -> [\d.]+ (Bytes|KiB), 9\d\.\d% saved\)\n$/);
    const direct = await h.run(['cp', 'notes.txt', `s3://${bucket}/rt/`]);
    expect(direct.stdout).toContain('(direct: not a delta candidate)');

    const down = await h.run(['cp', `s3://${bucket}/rt/`, 'rt-down', '--recursive']);
    expect(down.code).toBe(0);
    expect(readFileSync(h.path('rt-down', 'app-1.zip')).equals(v1)).toBe(true);
    expect(readFileSync(h.path('rt-down', 'app-2.zip')).equals(v2)).toBe(true);
    expect(readFileSync(h.path('rt-down', 'notes.txt'), 'utf8')).toBe('notes\n');

    const piped = await h.run(['cp', `s3://${bucket}/rt/app-2.zip`, '-']);
    expect(piped.stdoutBytes.equals(v2)).toBe(true);
    expect((await h.run(['cp', '-', `s3://${bucket}/rt/stdin.zip`], v3)).code).toBe(0);
    expect((await h.run(['cp', `s3://${bucket}/rt/stdin.zip`, '-'])).stdoutBytes.equals(v3)).toBe(true);
  });

  it('applies the destination rules and filters on S3', async () => {
    await h.run(['cp', 'app-1.zip', `s3://${bucket}/dst/p/`]);
    await h.run(['cp', 'app-2.zip', `s3://${bucket}/dst/p/renamed.zip`]);
    mkdirSync(h.path('tree', 'sub'), { recursive: true });
    writeFileSync(h.path('tree', 'a.zip'), v1);
    writeFileSync(h.path('tree', 'b.txt'), 'b');
    writeFileSync(h.path('tree', 'sub', 'c.zip'), v2);
    const up = await h.run(['cp', 'tree', `s3://${bucket}/dst/tree`, '--recursive', '--include', '*.zip', '--exclude', 'sub/*']);
    expect(up.code).toBe(0);
    const listed = JSON.parse((await h.run(['ls', `s3://${bucket}/dst/`, '--recursive', '--json'])).stdout);
    expect(listed.objects.map((o: { key: string }) => o.key).sort()).toEqual([
      'dst/p/app-1.zip', 'dst/p/renamed.zip', 'dst/tree/a.zip', 'dst/tree/b.txt',
    ]);
  });

  it('ls hides internals and shows original sizes', async () => {
    await h.run(['cp', 'app-1.zip', `s3://${bucket}/ls/`]);
    await h.run(['cp', 'app-2.zip', `s3://${bucket}/ls/`]);
    const r = await h.run(['ls', `s3://${bucket}/ls/`]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/reference\.bin|\.delta/);
    expect(r.stdout).toMatch(new RegExp(` ${v2.length} app-2\\.zip\\n`));
    expect((await h.storage().head(bucket, 'ls/app-2.zip.delta'))?.size).toBeLessThan(v2.length / 10);
    const buckets = await h.run(['ls']);
    expect(buckets.stdout).toContain(` ${bucket}\n`);
  });

  it('rm keeps the reference while a delta needs it; verify catches a corrupt delta', async () => {
    await h.run(['cp', 'app-1.zip', `s3://${bucket}/rm/`]);
    await h.run(['cp', 'app-2.zip', `s3://${bucket}/rm/`]);
    await h.run(['cp', 'app-3.zip', `s3://${bucket}/rm/`]);
    expect((await h.run(['rm', `s3://${bucket}/rm/app-1.zip`])).code).toBe(0);
    expect(await referencesOf(h.storage(), bucket, 'rm')).toHaveLength(1);
    expect((await h.run(['verify', `s3://${bucket}/rm/app-3.zip`])).stdout).toMatch(/^OK .*, delta\)\n$/);

    await corruptDelta(h, bucket, 'rm/app-3.zip.delta');
    const bad = await h.run(['verify', `s3://${bucket}/rm/app-3.zip`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^FAILED /);
    const down = await h.run(['cp', `s3://${bucket}/rm/app-3.zip`, 'corrupt.zip']);
    expect(down.code).toBe(1);
    expect(existsSync(h.path('corrupt.zip'))).toBe(false);

    expect((await h.run(['rm', `s3://${bucket}/rm/`, '--recursive'])).code).toBe(0);
    expect((await h.storage().list(bucket, { prefix: 'rm/' })).objects).toEqual([]);
  });

  it('exit codes: missing object 1, bad URL 2, partial failure 1', async () => {
    const missing = await h.run(['cp', `s3://${bucket}/nope/x.zip`, '.']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`s3://${bucket}/nope/x.zip does not exist (ERR_DG_NOT_FOUND)`);
    expect((await h.run(['cp', 'app-1.zip', 's3:/oops'])).code).toBe(2);
    const noBucket = await h.run(['cp', 'app-1.zip', `s3://${bucket}-missing/`]);
    expect(noBucket.code).toBe(1);
    expect(noBucket.stderr).toMatch(/^upload failed: app-1\.zip to s3:\/\/.*-missing\/app-1\.zip An error occurred \(ERR_DG_/);

    await h.run(['cp', 'app-1.zip', `s3://${bucket}/part/`]);
    await h.run(['cp', 'app-2.zip', `s3://${bucket}/part/`]);
    await h.run(['cp', 'notes.txt', `s3://${bucket}/part/`]);
    await corruptDelta(h, bucket, 'part/app-2.zip.delta');
    const partial = await h.run(['cp', `s3://${bucket}/part`, 'part-down', '--recursive', '--json']);
    expect(partial.code).toBe(1);
    const results = JSON.parse(partial.stdout) as { source: string; status: string }[];
    expect(results.map((r) => [r.source.replace(/.*\//, ''), r.status]).sort()).toEqual([
      ['app-1.zip', 'ok'], ['app-2.zip', 'failed'], ['notes.txt', 'ok'],
    ]);
  });

  describe('separate processes', () => {
    beforeAll(() => {
      // bin/deltaglider loads the compiled CLI from dist/.
      try {
        execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
      } catch (err) {
        // Type errors elsewhere in the tree still emit JavaScript; only a missing CLI is fatal.
        if (!existsSync(join(ROOT, 'dist', 'lib', 'cli', 'main.js'))) throw err;
      }
    }, 180_000);

    it('racing first uploads into one empty deltaspace all download byte-exact', async () => {
      const versions = [v1, v2, v3, nextVersion(v3, 24), nextVersion(v1, 25)];
      versions.forEach((bytes, i) => writeFileSync(h.path(`race-${i}.zip`), bytes));
      const env = { ...process.env, ...h.env };
      const outcomes = await Promise.allSettled(
        versions.map((_, i) => run('node', [BIN, 'cp', `race-${i}.zip`, `s3://${bucket}/race/`, '--json'], { cwd: h.cwd, env })),
      );
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') throw outcome.reason;
        expect(JSON.parse(outcome.value.stdout)).toMatchObject({ status: 'ok' });
      }
      for (let i = 0; i < versions.length; i++) {
        const { stdout } = await run('node', [BIN, 'cp', `s3://${bucket}/race/race-${i}.zip`, `race-down-${i}.zip`], { cwd: h.cwd, env });
        expect(stdout).toContain('download:');
        expect(readFileSync(h.path(`race-down-${i}.zip`)).equals(versions[i])).toBe(true);
      }
      // Racing processes may each make a reference (write-once keys: none overwrote another).
      const refs = await referencesOf(h.storage(), bucket, 'race');
      expect(refs.length).toBeGreaterThanOrEqual(1);
      expect(refs.length).toBeLessThanOrEqual(versions.length);
    }, 120_000);
  });
});
