/**
 * Ctrl-C during a large upload to S3: the CLI aborts its multipart upload (whose parts S3
 * bills until then), removes its scratch files and exits 130. Seen through a proxy that
 * logs every request: s3rver itself keeps no list of unfinished uploads to ask.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { S3Storage } from '../../lib/adapters/s3-storage';
import { FaultProxy } from '../helpers/fault-proxy';
import { randomBytes } from '../helpers/gen-data';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'deltaglider');

describe('interrupting an upload to S3', () => {
  let work: string;
  beforeAll(() => {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch (err) {
      if (!existsSync(join(ROOT, 'dist', 'lib', 'cli', 'main.js'))) throw err;
    }
    work = mkdtempSync(join(tmpdir(), 'dg-interrupt-'));
  }, 180_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('SIGINT mid-way through a multipart upload: the upload is aborted, exit 130, no scratch left', async () => {
    const bucket = `interrupt-${process.pid}`;
    const storage = new S3Storage({ endpointUrl: process.env.DG_TEST_S3_ENDPOINT });
    await storage.createBucket(bucket);
    storage.close();
    const proxy = await new FaultProxy({ upstream: process.env.DG_TEST_S3_ENDPOINT!, rate: 0 }).start();
    // Something the delay proxy slows down: every part takes a while.
    writeFileSync(join(work, 'big.bin'), randomBytes(80 << 20, 5));
    const temp = join(work, 'tmp');
    mkdirSync(temp);
    try {
      const code = await new Promise<number | null>((done) => {
        const child = spawn(process.execPath, [BIN, 'cp', 'big.bin', `s3://${bucket}/big.bin`, '--no-delta'], {
          cwd: work,
          env: { ...process.env, AWS_ENDPOINT_URL: proxy.endpoint, TMPDIR: temp, DG_CACHE_DIR: join(work, 'cache') },
          stdio: 'ignore',
        });
        const poll = setInterval(() => {
          if (!proxy.requests.some((r) => r.startsWith('PUT') && r.includes('partNumber='))) return;
          clearInterval(poll);
          child.kill('SIGINT');
        }, 5);
        child.on('close', (status) => {
          clearInterval(poll);
          done(status);
        });
      });
      expect(code).toBe(130);
      expect(proxy.requests.some((r) => r.startsWith('DELETE') && r.includes('uploadId='))).toBe(true);
      expect(proxy.requests.some((r) => r.startsWith('POST') && r.includes('uploadId='))).toBe(false); // never completed
      expect(existsSync(join(temp, 'deltaglider')) ? readdirSync(join(temp, 'deltaglider')) : []).toEqual([]);
    } finally {
      await proxy.stop();
    }
  }, 120_000);
});
