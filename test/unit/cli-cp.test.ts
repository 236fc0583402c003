/** `deltaglider cp` end to end through main(), on a file:// store in a temp directory. */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';

import { referencesOf } from '../helpers/references';
import { CliHarness, corruptDelta, nextVersion, randomBytes } from './cli-harness';

describe('cli cp (file:// store)', () => {
  let h: CliHarness;
  const v1 = randomBytes(200_000, 7);
  const v2 = nextVersion(v1, 11);
  const v3 = nextVersion(v2, 13);

  beforeEach(async () => {
    h = new CliHarness();
    await h.makeBucket('bkt');
    writeFileSync(h.path('app-1.zip'), v1);
    writeFileSync(h.path('app-2.zip'), v2);
    writeFileSync(h.path('notes.txt'), 'plain text\n');
  });
  afterEach(() => h.cleanup());

  it('uploads a reference, then a delta, and downloads both byte-exact', async () => {
    const first = await h.run(['cp', 'app-1.zip', 's3://bkt/rel/']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toBe('upload: app-1.zip to s3://bkt/rel/app-1.zip (reference)\n');

    const second = await h.run(['cp', 'app-2.zip', 's3://bkt/rel/']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^upload: app-2\.zip to s3:\/\/bkt\/rel\/app-2\.zip \(delta, 195\.4 KiB -> [\d.]+ (Bytes|KiB), 9\d\.\d% saved\)\n$/);

    const third = await h.run(['cp', 'notes.txt', 's3://bkt/rel/']);
    expect(third.stdout).toBe('upload: notes.txt to s3://bkt/rel/notes.txt (direct: not a delta candidate)\n');

    mkdirSync(h.path('out'));
    for (const [name, bytes] of [['app-1.zip', v1], ['app-2.zip', v2], ['notes.txt', Buffer.from('plain text\n')]] as const) {
      const got = await h.run(['cp', `s3://bkt/rel/${name}`, 'out']);
      expect(got).toMatchObject({ code: 0, stderr: '' });
      expect(got.stdout).toBe(`download: s3://bkt/rel/${name} to out/${name}\n`);
      expect(readFileSync(h.path('out', name)).equals(bytes)).toBe(true);
    }
  });

  it('honours the destination key rules: prefix/, renamed key, bucket only', async () => {
    expect((await h.run(['cp', 'app-1.zip', 's3://bkt/p/'])).code).toBe(0);
    expect((await h.run(['cp', 'app-2.zip', 's3://bkt/p/renamed.zip'])).code).toBe(0);
    expect((await h.run(['cp', 'notes.txt', 's3://bkt'])).code).toBe(0);
    const ls = await h.run(['ls', 's3://bkt', '--recursive', '--json']);
    const keys = JSON.parse(ls.stdout).objects.map((o: { key: string }) => o.key).sort();
    expect(keys).toEqual(['notes.txt', 'p/app-1.zip', 'p/renamed.zip']);

    // Downloads: '.' and a new directory ending in '/' get the base name, a path is the name.
    const dot = await h.run(['cp', 's3://bkt/p/renamed.zip', '.']);
    expect(dot.code).toBe(0);
    expect(readFileSync(h.path('renamed.zip')).equals(v2)).toBe(true);
    expect((await h.run(['cp', 's3://bkt/p/app-1.zip', 'new/dir/'])).code).toBe(0);
    expect(readFileSync(h.path('new', 'dir', 'app-1.zip')).equals(v1)).toBe(true);
    expect((await h.run(['cp', 's3://bkt/notes.txt', 'copy.txt'])).code).toBe(0);
    expect(readFileSync(h.path('copy.txt'), 'utf8')).toBe('plain text\n');
  });

  it('copies S3 -> S3 by rebuilding and re-storing in the destination deltaspace', async () => {
    await h.run(['cp', 'app-1.zip', 's3://bkt/a/']);
    await h.run(['cp', 'app-2.zip', 's3://bkt/a/']);
    const copy = await h.run(['cp', 's3://bkt/a/app-2.zip', 's3://bkt/b/']);
    expect(copy.code).toBe(0);
    // b/ is an empty deltaspace, so the copy becomes its reference.
    expect(copy.stdout).toBe('copy: s3://bkt/a/app-2.zip to s3://bkt/b/app-2.zip (reference)\n');
    expect(await referencesOf(h.storage(), 'bkt', 'b')).toHaveLength(1);
    await h.run(['cp', 's3://bkt/b/app-2.zip', 'back.zip']);
    expect(readFileSync(h.path('back.zip')).equals(v2)).toBe(true);
  });

  it('uploads from stdin and downloads to stdout', async () => {
    const up = await h.run(['cp', '-', 's3://bkt/s/piped.zip'], v1);
    expect(up.code).toBe(0);
    expect(up.stdout).toBe('upload: - to s3://bkt/s/piped.zip (reference)\n');
    await h.run(['cp', 'app-2.zip', 's3://bkt/s/']);
    const down = await h.run(['cp', 's3://bkt/s/app-2.zip', '-']);
    expect(down.code).toBe(0);
    expect(down.stdoutBytes.equals(v2)).toBe(true);
    expect(down.stderr).toBe('');
  });

  it('uploads and downloads trees with --include/--exclude, later filters winning', async () => {
    const tree = h.path('dist');
    mkdirSync(h.path('dist', 'sub'), { recursive: true });
    writeFileSync(h.path('dist', 'a.zip'), v1);
    writeFileSync(h.path('dist', 'b.txt'), 'b');
    writeFileSync(h.path('dist', 'sub', 'c.zip'), v2);
    writeFileSync(h.path('dist', 'sub', 'd.log'), 'd');
    void tree;

    const onlyZips = await h.run(['cp', 'dist', 's3://bkt/z', '--recursive', '--exclude', '*', '--include', '*.zip']);
    expect(onlyZips.code).toBe(0);
    expect(onlyZips.stdout.split('\n').filter(Boolean).sort()).toEqual([
      'upload: dist/a.zip to s3://bkt/z/a.zip (reference)',
      'upload: dist/sub/c.zip to s3://bkt/z/sub/c.zip (reference)',
    ]);

    // Same filters, other order: the exclude of sub/ comes last and wins over the include.
    const ordered = await h.run(['cp', 'dist', 's3://bkt/o/', '--recursive', '--include', '*.zip', '--exclude', 'sub/*']);
    expect(ordered.code).toBe(0);
    const listed = JSON.parse((await h.run(['ls', 's3://bkt/o/', '--recursive', '--json'])).stdout);
    expect(listed.objects.map((o: { key: string }) => o.key).sort()).toEqual(['o/a.zip', 'o/b.txt']);

    const down = await h.run(['cp', 's3://bkt/z', 'got', '--recursive', '--exclude', 'a*']);
    expect(down.code).toBe(0);
    expect(down.stdout).toBe('download: s3://bkt/z/sub/c.zip to got/sub/c.zip\n');
    expect(readFileSync(h.path('got', 'sub', 'c.zip')).equals(v2)).toBe(true);
    expect(existsSync(h.path('got', 'a.zip'))).toBe(false);
  });

  it('filters a single file or object by its name, as aws s3 cp does', async () => {
    writeFileSync(h.path('a.zip'), v1);
    const skipped = await h.run(['cp', 'a.zip', 's3://bkt/s/', '--exclude', '*.zip']);
    expect(skipped).toMatchObject({ code: 0, stdout: '' });
    expect(JSON.parse((await h.run(['cp', 'a.zip', 's3://bkt/s/', '--exclude', '*.zip', '--json'])).stdout)).toBeNull();
    expect((await h.run(['ls', 's3://bkt/s/'])).stdout).toBe('');
    const kept = await h.run(['cp', 'a.zip', 's3://bkt/s/', '--exclude', '*', '--include', 'a.*']);
    expect(kept.stdout).toBe('upload: a.zip to s3://bkt/s/a.zip (reference)\n');
    const down = await h.run(['cp', 's3://bkt/s/a.zip', 'b.zip', '--exclude', 'a*']);
    expect(down).toMatchObject({ code: 0, stdout: '' });
    expect(existsSync(h.path('b.zip'))).toBe(false);
    const copy = await h.run(['cp', 's3://bkt/s/a.zip', 's3://bkt/t/', '--exclude', '*.zip']);
    expect(copy).toMatchObject({ code: 0, stdout: '' });
    expect((await h.run(['cp', 's3://bkt/s/a.zip', 'b.zip', '--include', '*'])).code).toBe(0);
    expect(readFileSync(h.path('b.zip')).equals(v1)).toBe(true);
  });

  it('--dryrun prints what it would do and changes nothing', async () => {
    mkdirSync(h.path('dist'));
    writeFileSync(h.path('dist', 'a.zip'), v1);
    const dry = await h.run(['cp', 'dist', 's3://bkt/d/', '--recursive', '--dryrun']);
    expect(dry).toMatchObject({ code: 0, stdout: '(dryrun) upload: dist/a.zip to s3://bkt/d/a.zip\n' });
    expect((await h.run(['ls', 's3://bkt', '--recursive'])).stdout).toBe('');
    expect((await h.storage().list('bkt')).objects).toEqual([]);

    await h.run(['cp', 'app-1.zip', 's3://bkt/']);
    const dryDown = await h.run(['cp', 's3://bkt/app-1.zip', 'x.zip', '--dryrun']);
    expect(dryDown.stdout).toBe('(dryrun) download: s3://bkt/app-1.zip to x.zip\n');
    expect(existsSync(h.path('x.zip'))).toBe(false);
  });

  it('--quiet and --only-show-errors print nothing on success', async () => {
    for (const flag of ['-q', '--quiet', '--only-show-errors']) {
      const r = await h.run(['cp', 'app-1.zip', `s3://bkt/q${flag.length}/`, flag, '--no-progress']);
      expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
    const failed = await h.run(['cp', 's3://bkt/q2/nope.zip', 'x', '-q']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ERR_DG_NOT_FOUND');
  });

  it('--json gives one record per transfer (an array for --recursive)', async () => {
    const one = await h.run(['cp', 'app-1.zip', 's3://bkt/j/', '--json']);
    const record = JSON.parse(one.stdout);
    expect(record).toMatchObject({
      operation: 'upload', source: 'app-1.zip', destination: 's3://bkt/j/app-1.zip', status: 'ok',
      storedAs: 'reference', size: v1.length,
    });
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/);
    mkdirSync(h.path('t'));
    writeFileSync(h.path('t', 'app-2.zip'), v2);
    writeFileSync(h.path('t', 'app-3.zip'), v3);
    const many = JSON.parse((await h.run(['cp', 't', 's3://bkt/j/', '--recursive', '--json'])).stdout);
    expect(many).toHaveLength(2);
    for (const r of many) {
      expect(r).toMatchObject({ operation: 'upload', status: 'ok', storedAs: 'delta' });
      expect(r.storedSize).toBeLessThan(r.size / 10);
    }
  });

  it('--no-delta, --max-ratio, --metadata and --content-type reach the store', async () => {
    const direct = await h.run(['cp', 'app-1.zip', 's3://bkt/n/', '--no-delta']);
    expect(direct.stdout).toBe('upload: app-1.zip to s3://bkt/n/app-1.zip (direct: --no-delta)\n');
    await h.run(['cp', 'app-1.zip', 's3://bkt/m/']);
    // An unrelated file deltas badly; with a strict ratio it falls back to a direct upload.
    writeFileSync(h.path('other.zip'), randomBytes(50_000, 99));
    const strict = await h.run(['cp', 'other.zip', 's3://bkt/m/', '--max-ratio', '0.1']);
    expect(strict.stdout).toBe('upload: other.zip to s3://bkt/m/other.zip (direct: delta above max-ratio)\n');

    const meta = await h.run(['cp', 'notes.txt', 's3://bkt/meta.txt', '--metadata', 'build=42,branch=main', '--content-type', 'text/plain']);
    expect(meta.code).toBe(0);
    const head = await h.storage().head('bkt', 'meta.txt');
    expect(head?.metadata).toMatchObject({ build: '42', branch: 'main' });
    expect(head?.contentType).toBe('text/plain');
    const json = await h.run(['cp', 'notes.txt', 's3://bkt/meta2.txt', '--metadata', '{"team":"web"}']);
    expect(json.code).toBe(0);
    expect((await h.storage().head('bkt', 'meta2.txt'))?.metadata).toMatchObject({ team: 'web' });
  });

  it('exit codes: usage errors 2, missing objects 1, with specific messages', async () => {
    const missing = await h.run(['cp', 's3://bkt/nope.zip', 'x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('deltaglider: error: s3://bkt/nope.zip does not exist (ERR_DG_NOT_FOUND)');
    expect(existsSync(h.path('x'))).toBe(false);

    const localMissing = await h.run(['cp', 'nope.zip', 's3://bkt/']);
    expect(localMissing.code).toBe(1);
    expect(localMissing.stderr).toContain('local path nope.zip does not exist');

    for (const args of [
      ['cp', 'app-1.zip', 'elsewhere.zip'], // local -> local
      ['cp', 'app-1.zip', 's3://'], // no bucket
      ['cp', 'app-1.zip', 's3://b!d/'], // bad bucket name
      ['cp', '-', 's3://bkt/'], // stdin needs a key
      ['cp', 'app-1.zip', 's3://bkt/', '--max-ratio', '2'],
      ['cp', 'app-1.zip', 's3://bkt/', '--metadata', 'noequals'],
      ['cp', 'app-1.zip', 's3://bkt/', '--metadata', 'dg-file-sha256=x'],
      ['cp', '.', 's3://bkt/'], // a directory without --recursive
      ['cp', 'app-1.zip'],
    ]) {
      const r = await h.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/^deltaglider: /);
    }
    expect(readdirSync(h.cwd).sort()).toEqual(['app-1.zip', 'app-2.zip', 'notes.txt']);
  });

  it('a corrupt delta fails its download (no file left), others go on, exit 1', async () => {
    await h.run(['cp', 'app-1.zip', 's3://bkt/c/']);
    await h.run(['cp', 'app-2.zip', 's3://bkt/c/']);
    writeFileSync(h.path('app-3.zip'), v3);
    await h.run(['cp', 'app-3.zip', 's3://bkt/c/']);
    await corruptDelta(h, 'bkt', 'c/app-2.zip.delta');

    const single = await h.run(['cp', 's3://bkt/c/app-2.zip', 'single.zip']);
    expect(single.code).toBe(1);
    expect(single.stderr).toMatch(/^download failed: s3:\/\/bkt\/c\/app-2\.zip to single\.zip An error occurred \(ERR_DG_[A-Z0-9_]+\): /);
    expect(existsSync(h.path('single.zip'))).toBe(false);

    const tree = await h.run(['cp', 's3://bkt/c/', 'all', '--recursive']);
    expect(tree.code).toBe(1);
    expect(tree.stderr).toMatch(/download failed: s3:\/\/bkt\/c\/app-2\.zip to all\/app-2\.zip An error occurred/);
    expect(readdirSync(h.path('all')).sort()).toEqual(['app-1.zip', 'app-3.zip']);
    expect(readFileSync(h.path('all', 'app-3.zip')).equals(v3)).toBe(true);
  });
});
