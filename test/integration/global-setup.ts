/**
 * Starts a real S3 server (s3rver) on a free loopback port for the integration tests.
 * Tests read the endpoint from DG_TEST_S3_ENDPOINT (workers inherit this process's env)
 * and create their own uniquely named buckets.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// s3rver ships no types.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const S3rver = require('s3rver');

export default async function globalSetup(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), 'dg-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  (globalThis as Record<string, unknown>).__DG_S3RVER__ = { server, directory };
  process.env.DG_TEST_S3_ENDPOINT = `http://127.0.0.1:${port}`;
  process.env.DG_TEST_S3_DIRECTORY = directory;
  // s3rver accepts any credentials, but the SDK insists on having some.
  process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
  process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
  process.env.AWS_REGION = 'us-east-1';
}
