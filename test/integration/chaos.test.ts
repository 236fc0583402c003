/**
 * Several CLI processes at once — cp (up and down, single and --recursive), sync, rm,
 * rm --recursive, migrate — into the same prefixes, through a proxy that injects faults (error statuses,
 * resets, bodies cut short or bit-flipped, delays), on an s3rver that ignores If-None-Match,
 * then the same behind a proxy that enforces it as AWS does. Afterwards, with an empty cache
 * as another machine would: every listed object rebuilds to bytes that were uploaded to its
 * key, and every key some upload reported as written, that no delete touched, is there.
 * Prints operations, faults injected, clean errors and silent corruptions (must be 0).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';

import { S3Storage } from '../../lib/adapters/s3-storage';
import { MemoryReferenceCache } from '../../lib/adapters/memory-reference-cache';
import { DeltaService } from '../../lib/core';
import { FaultProxy } from '../helpers/fault-proxy';
import { randomBytes } from '../helpers/gen-data';
import { startS3rver, type S3rverChild } from '../helpers/s3rver-child';
import { nextVersion } from '../unit/cli-harness';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'bin', 'deltaglider');
const run = promisify(execFile);
const BUCKET = 'chaos';
const WORKERS = 5;
/** Commands per worker: a count, not a time, so a slow machine runs the same scenario. */
const OPERATIONS = 10;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Tally {
  operations: number;
  cleanErrors: number;
  silentCorruptions: string[];
}

describe('chaos: concurrent processes under injected faults', () => {
  let work: string;
  let server: S3rverChild;
  const versions: Buffer[] = [];

  beforeAll(async () => {
    // bin/deltaglider loads the compiled CLI from dist/.
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    } catch (err) {
      if (!existsSync(join(ROOT, 'dist', 'lib', 'cli', 'main.js'))) throw err;
    }
    work = mkdtempSync(join(tmpdir(), 'dg-chaos-'));
    server = await startS3rver(work, { ignoreIfNoneMatch: true });
    let v = randomBytes(200_000, 91);
    for (let i = 0; i < 6; i++) {
      versions.push(v);
      writeFileSync(join(work, `v${i}.zip`), v);
      v = nextVersion(v, 92 + i);
    }
    for (const dir of ['tree-a', 'tree-b']) {
      mkdirSync(join(work, dir));
      for (let i = 0; i < 3; i++) writeFileSync(join(work, dir, `app-${i}.zip`), versions[(i + (dir === 'tree-b' ? 3 : 0)) % 6]);
    }
  }, 180_000);
  afterAll(() => {
    server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  for (const enforceIfNoneMatch of [false, true]) {
    it(`no silent corruption (${enforceIfNoneMatch ? 'If-None-Match enforced' : 'raw s3rver'})`, async () => {
      const bucket = `${BUCKET}-${enforceIfNoneMatch ? 'e' : 'r'}`;
      const direct = new S3Storage({ endpointUrl: server.endpoint, maxAttempts: 5 });
      await direct.createBucket(bucket);
      const proxy = await new FaultProxy({ upstream: server.endpoint, rate: 0.08, enforceIfNoneMatch, seed: enforceIfNoneMatch ? 7 : 3 }).start();
      const tally: Tally = { operations: 0, cleanErrors: 0, silentCorruptions: [] };
      const written = new Map<string, Set<string>>(); // key -> SHA-256s uploaded to it (attempted)
      const reported = new Set<string>(); // keys an upload reported as written
      const touchedByDelete = new Set<string>(); // keys (or prefixes ending in /) a delete may have removed
      try {
        await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w, bucket, proxy.endpoint, tally, written, reported, touchedByDelete)));
        proxy.setRate(0);
        await checkBucket(direct, bucket, tally, written, reported, touchedByDelete);
      } finally {
        await proxy.stop();
        direct.close();
      }
      // The tally, as the issue asks for it.
      console.log(
        `chaos (${enforceIfNoneMatch ? 'If-None-Match enforced' : 'raw s3rver'}): ${tally.operations} operations, ` +
          `${proxy.totalFaults} faults injected (${JSON.stringify(proxy.injected)}, ${proxy.preconditionsRefused} conditional creates refused), ` +
          `${tally.cleanErrors} clean errors, ${tally.silentCorruptions.length} silent corruptions`,
      );
      expect(tally.silentCorruptions).toEqual([]);
      expect(tally.operations).toBe(WORKERS * OPERATIONS);
      expect(proxy.totalFaults).toBeGreaterThan(0);
    }, 180_000);
  }

  /** One simulated build agent: OPERATIONS random commands, each a new process. */
  async function worker(
    id: number,
    bucket: string,
    endpoint: string,
    tally: Tally,
    written: Map<string, Set<string>>,
    reported: Set<string>,
    touchedByDelete: Set<string>,
  ): Promise<void> {
    const cache = join(work, `cache-${bucket}-${id}`);
    const env = {
      ...process.env, AWS_ENDPOINT_URL: endpoint, DG_CACHE_DIR: cache, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', DG_LOG_LEVEL: 'error',
    };
    let n = id * 7919;
    const pick = (k: number): number => (n = (n * 1103515245 + 12345) >>> 0) % k;
    const note = (key: string, i: number): void => {
      if (!written.has(key)) written.set(key, new Set());
      written.get(key)!.add(sha256(versions[i]));
    };
    for (let op = 0; op < OPERATIONS; op++) {
      const prefix = `p${pick(2)}`;
      const roll = pick(10);
      let args: string[];
      let onOk: () => void = () => undefined;
      if (roll < 4) {
        const i = pick(6);
        const key = `${prefix}/${pick(2) === 0 ? 'keep' : 'gone'}-${pick(3)}.zip`;
        note(key, i);
        args = ['cp', join(work, `v${i}.zip`), `s3://${bucket}/${key}`];
        onOk = () => reported.add(key);
      } else if (roll < 5) {
        const tree = pick(2) === 0 ? 'tree-a' : 'tree-b';
        for (let i = 0; i < 3; i++) note(`${prefix}/t/app-${i}.zip`, (i + (tree === 'tree-b' ? 3 : 0)) % 6);
        args = [pick(2) === 0 ? 'sync' : 'cp', join(work, tree), `s3://${bucket}/${prefix}/t/`, ...(pick(2) === 0 ? [] : ['--recursive'])];
        if (args[0] === 'sync') args = args.filter((a) => a !== '--recursive');
        onOk = () => ['app-0', 'app-1', 'app-2'].forEach((a) => reported.add(`${prefix}/t/${a}.zip`));
      } else if (roll < 7) {
        const key = `${prefix}/gone-${pick(3)}.zip`;
        touchedByDelete.add(key);
        args = ['rm', `s3://${bucket}/${key}`];
      } else if (roll < 8) {
        touchedByDelete.add(`${prefix}/t/`);
        args = ['rm', `s3://${bucket}/${prefix}/t/`, '--recursive'];
      } else if (roll < 9) {
        // Whatever p0/ holds is copied under m/ (any version may land there).
        for (let i = 0; i < versions.length; i++) for (const key of [...written.keys()]) if (key.startsWith('p0/')) note(`m/${key}`, i);
        args = ['migrate', `s3://${bucket}/p0/`, `s3://${bucket}/m/`, '--yes'];
      } else {
        // A download: must never succeed with wrong bytes (the CLI checks the SHA-256 itself).
        const key = `${prefix}/keep-${pick(3)}.zip`;
        args = ['cp', `s3://${bucket}/${key}`, join(work, `dl-${bucket}-${id}.zip`)];
      }
      tally.operations++;
      try {
        await run(process.execPath, [BIN, ...args, '--no-progress'], { env, cwd: work, timeout: 60_000 });
        onOk();
      } catch (err) {
        const e = err as { code?: number; stderr?: string };
        // A clean error: a non-zero exit with a message. A crash or a hang is not clean.
        if (typeof e.code === 'number' && e.code > 0 && e.code < 128 && (e.stderr ?? '').trim() !== '') tally.cleanErrors++;
        else tally.silentCorruptions.push(`${args.join(' ')}: ended badly: ${JSON.stringify(err)}`);
      }
    }
  }

  async function checkBucket(
    storage: S3Storage,
    bucket: string,
    tally: Tally,
    written: Map<string, Set<string>>,
    reported: Set<string>,
    touchedByDelete: Set<string>,
  ): Promise<void> {
    const cache = new MemoryReferenceCache();
    const service = new DeltaService({ storage, referenceCache: cache, env: {} });
    const present = new Set<string>();
    let token: string | undefined;
    do {
      const page = await service.list(bucket, { continuationToken: token });
      for (const object of page.objects) present.add(object.key);
      token = page.nextContinuationToken;
    } while (token);
    for (const key of present) {
      await cache.clear(); // as another machine: nothing cached
      const out = join(work, `check-${bucket}.bin`);
      try {
        const got = await service.get(bucket, key, out);
        if (!written.get(key)?.has(got.sha256)) tally.silentCorruptions.push(`${key}: rebuilds to bytes never uploaded to it`);
      } catch (err) {
        tally.silentCorruptions.push(`${key}: listed but does not rebuild: ${(err as Error).message}`);
      }
    }
    for (const key of reported) {
      const deleted = [...touchedByDelete].some((t) => (t.endsWith('/') ? key.startsWith(t) : key === t));
      if (!deleted && !present.has(key)) tally.silentCorruptions.push(`${key}: an upload reported it written, nothing deleted it, it is gone`);
    }
    await service.close();
  }
});
