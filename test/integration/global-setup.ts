/**
 * Starts a real S3 server (s3rver) on a free loopback port for the integration tests.
 * Tests read the endpoint from DG_TEST_S3_ENDPOINT (workers inherit this process's env)
 * and create their own uniquely named buckets.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export default async function globalSetup(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'dg-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', join(__dirname, 's3rver-process.js'), directory], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(JSON.parse(line).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited early (code ${code})`)));
  });
  (globalThis as Record<string, unknown>).__DG_S3RVER__ = { child, directory };
  process.env.DG_TEST_S3_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.DG_TEST_S3_DIRECTORY = directory;
  // s3rver accepts any credentials, but the SDK insists on having some.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_REGION = 'us-east-1';
  // Tests that build their own S3Client would otherwise print the SDK's Node 20 notice.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
