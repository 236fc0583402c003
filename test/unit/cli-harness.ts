/**
 * Drives the real CLI through main() with captured streams, against a `file://` store in a
 * temporary directory (unit tests) or s3rver (integration tests, via the endpoint given).
 * Not a test file itself: the cli-*.test.ts files import it.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';

import { main } from '../../lib/cli/main';
import type { CliIO } from '../../lib/cli/context';
import { createStorage } from '../../lib/adapters';
import type { StoragePort } from '../../lib/ports';
import { randomBytes } from '../helpers/gen-data';

export interface RunResult {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

export class CliHarness {
  readonly root: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;

  constructor(endpointUrl?: string) {
    this.root = mkdtempSync(join(tmpdir(), 'dg-cli-test-'));
    this.cwd = join(this.root, 'work');
    mkdirSync(this.cwd);
    const storeDir = join(this.root, 'store');
    if (!endpointUrl) mkdirSync(storeDir);
    this.env = {
      AWS_ENDPOINT_URL: endpointUrl ?? pathToFileURL(storeDir).href,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      HOME: this.root,
      XDG_CACHE_HOME: join(this.root, 'cache'),
      DG_CACHE_DIR: join(this.root, 'cache'),
      PATH: process.env.PATH,
    };
  }

  async run(args: string[], stdin?: Buffer | string): Promise<RunResult> {
    const out = new PassThrough();
    const err = new PassThrough();
    const outChunks: Buffer[] = [];
    let errText = '';
    out.on('data', (d: Buffer) => outChunks.push(d));
    err.on('data', (d: Buffer) => (errText += d.toString()));
    const input = new PassThrough();
    if (stdin !== undefined) input.end(stdin);
    else input.end();
    const io: CliIO = {
      stdout: out, stderr: err, stdin: input, stdoutIsTTY: false, stderrIsTTY: false,
      env: this.env, cwd: this.cwd,
    };
    const code = await main(args, io);
    await new Promise((r) => setImmediate(r));
    const stdoutBytes = Buffer.concat(outChunks);
    return { code, stdout: stdoutBytes.toString(), stdoutBytes, stderr: errText };
  }

  /** The store the CLI talks to, for setting up and inspecting what is really stored. */
  storage(): StoragePort {
    return createStorage({ endpointUrl: this.env.AWS_ENDPOINT_URL }, this.env);
  }

  async makeBucket(name: string): Promise<void> {
    await this.storage().createBucket(name);
  }

  path(...parts: string[]): string {
    return join(this.cwd, ...parts);
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Deterministic pseudo-random bytes, so versions can share most content. */
export { randomBytes };

/** A "next version" of `base`: a few small edits, so it deltas well against it. */
export function nextVersion(base: Buffer, seed: number): Buffer {
  const copy = Buffer.from(base);
  const patch = randomBytes(64, seed);
  for (let i = 0; i < 4; i++) {
    const at = Math.floor(((i + 1) * copy.length) / 5);
    patch.copy(copy, at, i * 16, i * 16 + 16);
  }
  return Buffer.concat([copy, randomBytes(100, seed + 1)]);
}

/** Flip bytes in the middle of a stored delta, keeping its metadata (what bit rot looks like). */
export async function corruptDelta(h: CliHarness, bucket: string, storedKey: string): Promise<void> {
  const storage = h.storage();
  const head = await storage.head(bucket, storedKey);
  if (!head) throw new Error(`no ${storedKey}`);
  const { body } = await storage.get(bucket, storedKey);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  for (let i = Math.floor(bytes.length / 2); i < bytes.length; i++) bytes[i] ^= 0x5a;
  await storage.put(bucket, storedKey, { buffer: bytes }, { metadata: head.metadata, contentType: head.contentType });
}
