/**
 * The CLI's edges against hostile or unlucky input (issue #10): bounded numeric options,
 * keys that would escape the destination or drive the terminal, a file:// store with a
 * symlink planted in it, leftovers of killed runs, and SIGINT / SIGTERM mid-transfer.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { planTransfers } from '../../lib/cli/cp-plan';
import { filterFromArgs } from '../../lib/cli/filters';
import type { DeltaServiceApi } from '../../lib/core/types';
import { CliHarness, randomBytes } from './cli-harness';

const BIN = resolve(__dirname, '../../bin/deltaglider');

describe('cli safety (file:// store)', () => {
  let h: CliHarness;
  beforeEach(async () => {
    h = new CliHarness();
    await h.makeBucket('bkt');
    writeFileSync(h.path('app.zip'), randomBytes(50_000, 3));
  });
  afterEach(() => h.cleanup());

  it('numeric options out of range or not numbers are usage errors, before any work', async () => {
    for (const args of [
      ['sync', '.', 's3://bkt/', '--concurrency', '1000000'],
      ['sync', '.', 's3://bkt/', '--concurrency', '1e7'],
      ['sync', '.', 's3://bkt/', '--concurrency', '0'],
      ['migrate', 's3://bkt/', 's3://bkt/x/', '--concurrency', '2.5'],
      ['cp', 'app.zip', 's3://bkt/', '--max-ratio', ''],
      ['cp', 'app.zip', 's3://bkt/', '--max-ratio', '1.5'],
      ['presign', 's3://bkt/app.zip', '--expires-in', 'soon'],
    ]) {
      const started = Date.now();
      const r = await h.run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 2 });
      expect(r.stderr).toMatch(/must be (a whole number|a number) from/);
      expect(Date.now() - started).toBeLessThan(5000);
    }
    expect((await h.storage().list('bkt')).objects).toEqual([]);
  });

  it('keys with control characters: printed escaped, refused as local file names', async () => {
    const key = 'dir/\u001b[31mred\nfake: line.zip';
    expect((await h.run(['cp', 'app.zip', `s3://bkt/${key}`])).code).toBe(0);
    const ls = await h.run(['ls', 's3://bkt/dir/']);
    expect(ls.stdout).not.toMatch(/\u001b/);
    expect(ls.stdout).toContain('\\x1b[31mred\\nfake: line.zip');
    expect(ls.stdout.trim().split('\n')).toHaveLength(1);
    const down = await h.run(['cp', `s3://bkt/${key}`, 'out/']);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('refusing to download');
    expect(existsSync(h.path('out'))).toBe(false);
    // Named by the user, it downloads fine.
    expect((await h.run(['cp', `s3://bkt/${key}`, 'named.zip'])).code).toBe(0);
    const recursive = await h.run(['cp', 's3://bkt/dir/', 'tree/', '--recursive']);
    expect(recursive.code).toBe(1);
    expect(recursive.stderr).toContain('not a safe relative path');
  });

  it("an object whose key ends in '..' is not downloaded under that name (the temp file would land outside)", async () => {
    // Stores that allow such keys (S3 does): planned through a service that has one.
    const object = { bucket: 'evil', key: 'x/..', storedKey: 'x/..', kind: 'direct' as const, size: 1, storedSize: 1 };
    const service = { head: async () => object } as unknown as DeltaServiceApi;
    mkdirSync(h.path('dest'));
    await expect(
      planTransfers({ source: 's3://evil/x/..', destination: 'dest/', recursive: false, filter: filterFromArgs([]), cwd: h.cwd, service }),
    ).rejects.toMatchObject({ code: 'ERR_DG_INVALID_ARGUMENT', message: expect.stringContaining('refusing to download') });
  });

  it('a symlink planted inside a bucket directory is never followed', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'dg-outside-'));
    try {
      symlinkSync(outside, join(h.root, 'store', 'bkt', 'link'));
      const up = await h.run(['cp', 'app.zip', 's3://bkt/link/app.zip']);
      expect(up.code).toBe(1);
      expect(up.stderr).toContain('never follows symlinks');
      expect(readdirSync(outside)).toEqual([]);
      writeFileSync(join(outside, 'secret.txt'), 'secret');
      expect((await h.run(['cp', 's3://bkt/link/secret.txt', 'got.txt'])).code).toBe(1);
      expect((await h.run(['ls', 's3://bkt/', '--recursive'])).stdout).not.toContain('secret');
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("a killed download's temp file is swept when the destination is next written", async () => {
    expect((await h.run(['cp', 'app.zip', 's3://bkt/a/app.zip'])).code).toBe(0);
    mkdirSync(h.path('dl'));
    const dead = h.path('dl', '.app.zip.dg-99999999-0123456789ab.tmp'); // no such pid
    const live = h.path('dl', `.app.zip.dg-${process.pid}-0123456789ab.tmp`); // a running process's
    writeFileSync(dead, 'half a file');
    writeFileSync(live, 'still being written');
    expect((await h.run(['cp', 's3://bkt/a/app.zip', 'dl/'])).code).toBe(0);
    expect(readdirSync(h.path('dl')).sort()).toEqual([`.app.zip.dg-${process.pid}-0123456789ab.tmp`, 'app.zip']);
  });

  describe('signals', () => {
    /** Start bin/deltaglider; resolves with its exit status once `ready()` says so and it was signalled. */
    function interrupt(args: string[], signal: NodeJS.Signals, ready: () => boolean, env: NodeJS.ProcessEnv, feed?: (stdin: NodeJS.WritableStream) => void) {
      return new Promise<{ code: number | null; stderr: string }>((done) => {
        const child = spawn(process.execPath, [BIN, ...args], { cwd: h.cwd, env, stdio: ['pipe', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.stdin.on('error', () => undefined); // it may exit before reading everything
        feed?.(child.stdin);
        const poll = setInterval(() => {
          if (!ready()) return;
          clearInterval(poll);
          child.kill(signal);
        }, 5);
        child.on('close', (code) => {
          clearInterval(poll);
          done({ code, stderr });
        });
      });
    }

    it('SIGINT during a stdin upload: exit 130, the spool is removed, nothing stored', async () => {
      const temp = h.path('tmp');
      mkdirSync(temp);
      const spools = (): string[] => (existsSync(join(temp, 'deltaglider')) ? readdirSync(join(temp, 'deltaglider')) : []);
      const chunk = randomBytes(1 << 20, 9);
      const result = await interrupt(['cp', '-', 's3://bkt/in/app.zip'], 'SIGINT', () => spools().some((d) => readdirSync(join(temp, 'deltaglider', d)).length > 0), { ...h.env, TMPDIR: temp }, (stdin) => {
        // Keep the upload waiting on stdin: a few MiB, then nothing (the pipe stays open).
        for (let i = 0; i < 4; i++) stdin.write(chunk);
      });
      expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 130, stderr: expect.any(String) });
      expect(spools()).toEqual([]);
      expect((await h.storage().list('bkt')).objects).toEqual([]);
    });

    it('SIGTERM during a download: exit 143, no temp file beside the destination', async () => {
      const big = randomBytes(160 << 20, 11);
      writeFileSync(h.path('big.bin'), big);
      expect((await h.run(['cp', 'big.bin', 's3://bkt/b/big.bin'])).code).toBe(0);
      mkdirSync(h.path('dl'));
      const temps = (): string[] => readdirSync(h.path('dl')).filter((n) => n.endsWith('.tmp'));
      const result = await interrupt(['cp', 's3://bkt/b/big.bin', 'dl/'], 'SIGTERM', () => temps().length > 0, h.env);
      expect(result.code).toBe(143);
      expect(readdirSync(h.path('dl'))).toEqual([]);
      expect(existsSync(h.path('dl', 'big.bin')) ? readFileSync(h.path('dl', 'big.bin')).length : 0).toBe(0);
    });
  });
});
