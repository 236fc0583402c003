/** `deltaglider sync` end to end through main(), on a file:// store. */
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import { referenceOf, withRefsShort } from '../helpers/references';
import { CliHarness, nextVersion, randomBytes } from './cli-harness';

describe('cli sync (file:// store)', () => {
  let h: CliHarness;
  const v1 = randomBytes(120_000, 21);
  const v2 = nextVersion(v1, 22);
  const v3 = nextVersion(v2, 23);

  /** Stored keys under a prefix, write-once references shown as `<ds>/[ref]`. */
  const storedKeys = async (prefix = '') => withRefsShort((await h.storage().list('bkt', { prefix })).objects.map((o) => o.key));

  beforeEach(async () => {
    h = new CliHarness();
    await h.makeBucket('bkt');
    mkdirSync(h.path('site', 'rel'), { recursive: true });
    writeFileSync(h.path('site', 'rel', 'app-1.zip'), v1);
    writeFileSync(h.path('site', 'rel', 'app-2.zip'), v2);
    writeFileSync(h.path('site', 'rel', 'app-3.zip'), v3);
    writeFileSync(h.path('site', 'notes.txt'), 'notes\n');
    writeFileSync(h.path('site', 'debug.log'), 'log\n');
  });
  afterEach(() => h.cleanup());

  it('uploads a tree as deltas, then a second run transfers nothing', async () => {
    const first = await h.run(['sync', 'site', 's3://bkt/www/']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toHaveLength(5);
    // One of the three became the reference (whichever got there first), the others deltas against it.
    const rel = first.stdout.split('\n').filter((l) => l.includes('/rel/app-'));
    expect(rel.filter((l) => l.endsWith('(reference)'))).toHaveLength(1);
    expect(rel.filter((l) => l.includes('(delta, '))).toHaveLength(2);
    expect(await storedKeys('www/rel/')).toEqual([
      'www/rel/[ref]', 'www/rel/app-1.zip.delta', 'www/rel/app-2.zip.delta', 'www/rel/app-3.zip.delta',
    ]);

    const second = await h.run(['sync', 'site', 's3://bkt/www/', '--json']);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout);
    expect(report.results).toEqual([]);
    expect(report.summary).toEqual({ transferred: 0, deleted: 0, unchanged: 5, failed: 0 });
  });

  it('--size-only compares ORIGINAL sizes (a delta is not its stored size); newer files are re-uploaded otherwise', async () => {
    await h.run(['sync', 'site', 's3://bkt/www/']);
    const future = new Date(Date.now() + 3600_000);
    utimesSync(h.path('site', 'rel', 'app-2.zip'), future, future);
    const sizeOnly = JSON.parse((await h.run(['sync', 'site', 's3://bkt/www/', '--size-only', '--json'])).stdout);
    expect(sizeOnly.summary.transferred).toBe(0);
    const byTime = JSON.parse((await h.run(['sync', 'site', 's3://bkt/www/', '--json'])).stdout);
    expect(byTime.results.map((r: { destination: string }) => r.destination)).toEqual(['s3://bkt/www/rel/app-2.zip']);
  });

  it('--delete removes extra objects but keeps a reference still needed, and drops it with the last delta', async () => {
    await h.run(['sync', 'site', 's3://bkt/www/']);
    rmSync(h.path('site', 'rel', 'app-1.zip')); // the file that became the reference
    const r = await h.run(['sync', 'site', 's3://bkt/www/', '--delete']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('delete: s3://bkt/www/rel/app-1.zip');
    expect(await storedKeys('www/rel/')).toEqual(['www/rel/[ref]', 'www/rel/app-2.zip.delta', 'www/rel/app-3.zip.delta']);
    const back = await h.run(['cp', 's3://bkt/www/rel/app-3.zip', 'back.zip']);
    expect(back.code).toBe(0);
    expect(readFileSync(h.path('back.zip')).equals(v3)).toBe(true);

    rmSync(h.path('site', 'rel'), { recursive: true });
    const all = await h.run(['sync', 'site', 's3://bkt/www/', '--delete', '--json']);
    expect(JSON.parse(all.stdout).summary.deleted).toBe(2);
    expect(await storedKeys('www/rel/')).toEqual([]);
  });

  it('--delete after replacing every file of a deltaspace keeps the reference the new delta needs', async () => {
    await h.run(['sync', 'site', 's3://bkt/www/']);
    rmSync(h.path('site', 'rel'), { recursive: true });
    mkdirSync(h.path('site', 'rel'));
    const v4 = nextVersion(v3, 24);
    writeFileSync(h.path('site', 'rel', 'app-4.zip'), v4);
    const r = await h.run(['sync', 'site', 's3://bkt/www/', '--delete', '--concurrency', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/upload: .*app-4\.zip .*\(delta/);
    expect(await storedKeys('www/rel/')).toEqual(['www/rel/[ref]', 'www/rel/app-4.zip.delta']);
    expect((await h.run(['cp', 's3://bkt/www/rel/app-4.zip', 'v4.zip'])).code).toBe(0);
    expect(readFileSync(h.path('v4.zip')).equals(v4)).toBe(true);
  });

  it('--delete also removes references no delta needs (older than an hour), as filtered', async () => {
    mkdirSync(h.path('site', 'old'));
    writeFileSync(h.path('site', 'old', 'tool-1.zip'), v1);
    await h.run(['sync', 'site', 's3://bkt/www/']);
    rmSync(h.path('site', 'old'), { recursive: true });
    // What an upload that died after its reference (or a delete that stopped half way)
    // leaves behind: a reference and no delta that needs it.
    await h.storage().delete('bkt', 'www/old/tool-1.zip.delta');
    const refKey = await referenceOf(h.storage(), 'bkt', 'www/old');
    const reference = join(h.root, 'store', 'bkt', ...refKey.split('/'));
    expect(existsSync(reference)).toBe(true);

    // Fresh: it may belong to an upload still on its way, so it stays.
    const fresh = await h.run(['sync', 'site', 's3://bkt/www/', '--delete']);
    expect(fresh).toMatchObject({ code: 0, stdout: '' });
    expect(await storedKeys('www/old/')).toEqual(['www/old/[ref]']);

    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(reference, twoHoursAgo, twoHoursAgo);
    const excluded = await h.run(['sync', 'site', 's3://bkt/www/', '--delete', '--exclude', 'old/*']);
    expect(excluded.stdout).toBe('');
    const dry = await h.run(['sync', 'site', 's3://bkt/www/', '--delete', '--dryrun']);
    expect(dry.stdout).toBe(`(dryrun) delete: s3://bkt/${refKey}\n`);
    expect(await storedKeys('www/old/')).toEqual(['www/old/[ref]']);
    const r = await h.run(['sync', 'site', 's3://bkt/www/', '--delete', '--json']);
    const report = JSON.parse(r.stdout);
    expect(report.summary.deleted).toBe(1);
    expect(report.results).toEqual([{ operation: 'delete', source: `s3://bkt/${refKey}`, status: 'ok' }]);
    expect(await storedKeys('www/old/')).toEqual([]);
    // Every other object still downloads.
    expect((await h.run(['cp', 's3://bkt/www/rel/app-3.zip', 'back.zip'])).code).toBe(0);
    expect(readFileSync(h.path('back.zip')).equals(v3)).toBe(true);
  });

  it('--dryrun, --exclude and --include change nothing they should not', async () => {
    const dry = await h.run(['sync', 'site', 's3://bkt/www/', '--dryrun', '--exclude', '*.log']);
    expect(dry.code).toBe(0);
    expect(dry.stdout.trim().split('\n').every((l) => l.startsWith('(dryrun) upload: '))).toBe(true);
    expect(dry.stdout).not.toContain('debug.log');
    expect(await storedKeys()).toEqual([]);

    await h.run(['sync', 'site', 's3://bkt/www/', '--exclude', '*', '--include', 'rel/*']);
    expect(await storedKeys()).toHaveLength(4);
    // excluded destination objects are not deleted either
    await h.run(['sync', 'site', 's3://bkt/www/']);
    const r = await h.run(['sync', 'site', 's3://bkt/www/', '--delete', '--exclude', '*.log', '--json']);
    expect(JSON.parse(r.stdout).summary.deleted).toBe(0);
  });

  it('downloads S3 -> local byte-exact, sets mtimes so a second run is a no-op, and deletes local extras', async () => {
    await h.run(['sync', 'site', 's3://bkt/www/']);
    mkdirSync(h.path('copy'));
    writeFileSync(h.path('copy', 'stale.bin'), 'old');
    const down = await h.run(['sync', 's3://bkt/www/', 'copy', '--delete']);
    expect(down.code).toBe(0);
    expect(readFileSync(h.path('copy', 'rel', 'app-2.zip')).equals(v2)).toBe(true);
    expect(readFileSync(h.path('copy', 'notes.txt'), 'utf8')).toBe('notes\n');
    expect(existsSync(h.path('copy', 'stale.bin'))).toBe(false);
    const again = JSON.parse((await h.run(['sync', 's3://bkt/www/', 'copy', '--json'])).stdout);
    expect(again.summary.transferred).toBe(0);
    const exact = JSON.parse((await h.run(['sync', 's3://bkt/www/', 'copy', '--exact-timestamps', '--json'])).stdout);
    expect(exact.summary.transferred).toBe(0);
  });

  it('copies S3 -> S3 into its own deltaspace, then nothing on a second run', async () => {
    await h.run(['sync', 'site', 's3://bkt/www/']);
    const r = await h.run(['sync', 's3://bkt/www/', 's3://bkt/mirror/', '--concurrency', '2']);
    expect(r.code).toBe(0);
    expect(await storedKeys('mirror/rel/')).toContain('mirror/rel/[ref]');
    const again = JSON.parse((await h.run(['sync', 's3://bkt/www/', 's3://bkt/mirror/', '--json'])).stdout);
    expect(again.summary.transferred).toBe(0);
    const back = await h.run(['cp', 's3://bkt/mirror/rel/app-3.zip', 'm3.zip']);
    expect(back.code).toBe(0);
    expect(readFileSync(h.path('m3.zip')).equals(v3)).toBe(true);
  });

  it('usage errors: local to local, a missing source directory, a bad concurrency', async () => {
    expect((await h.run(['sync', 'site', 'elsewhere'])).code).toBe(2);
    const missing = await h.run(['sync', 'nope', 's3://bkt/x/']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');
    expect((await h.run(['sync', 'site', 's3://bkt/x/', '--concurrency', '0'])).code).toBe(2);
  });
});
