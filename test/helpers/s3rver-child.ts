/**
 * An s3rver of a test's own, in a child process (s3rver-process.js: atomic writes, DES for
 * its listing tokens), for tests that need a store the shared server is not: raw (no
 * If-None-Match), or one they may fill and throw away.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface S3rverChild {
  endpoint: string;
  directory: string;
  stop(): void;
}

export async function startS3rver(parentDir: string, options: { ignoreIfNoneMatch?: boolean } = {}): Promise<S3rverChild> {
  const directory = mkdtempSync(join(parentDir, 's3rver-'));
  const args = ['--openssl-legacy-provider', join(__dirname, '..', 'integration', 's3rver-process.js'), directory];
  if (options.ignoreIfNoneMatch) args.push('--ignore-if-none-match');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited early (code ${code})`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, directory, stop: () => child.kill() };
}
