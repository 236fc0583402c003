/**
 * The CLI starts without the AWS SDK (about 50 ms of module loading): `--help`, usage errors
 * and the local `delta` commands never need it, and the storage commands load it when they
 * open their runtime. Checked on the built CLI (`dist/`, built by `pretest`) in a fresh node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** Runs the CLI's main() on args in a fresh node and returns the @aws-sdk modules it loaded. */
function awsModulesLoaded(args: string[]): string[] {
  const script = `
    const { PassThrough } = require('node:stream');
    const sink = () => { const s = new PassThrough(); s.resume(); return s; };
    const io = { stdout: sink(), stderr: sink(), stdin: new PassThrough(), stdoutIsTTY: false,
                 stderrIsTTY: false, env: {}, cwd: process.cwd() };
    require(${JSON.stringify(join(root, 'dist/lib/cli/main.js'))})
      .main(JSON.parse(process.argv[1]), io)
      .then(() => {
        const aws = Object.keys(require.cache).filter((k) => k.includes('/node_modules/@aws-sdk/'));
        process.stdout.write(JSON.stringify(aws));
      });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(args)], { encoding: 'utf8' }));
}

describe('cli start-up', () => {
  it('loads no AWS SDK module for --help, a usage error or a local delta command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-startup-'));
    writeFileSync(join(dir, 'ref'), 'hello reference\n'.repeat(100));
    writeFileSync(join(dir, 'target'), 'hello target\n'.repeat(100));
    expect(awsModulesLoaded(['--help'])).toEqual([]);
    expect(awsModulesLoaded(['put-bucket-acl', '--help'])).toEqual([]);
    expect(awsModulesLoaded(['no-such-command'])).toEqual([]);
    expect(awsModulesLoaded(['delta', 'encode', '--source', join(dir, 'ref'), join(dir, 'target'), join(dir, 'd')])).toEqual([]);
  });

  it('does load it once a command opens S3 storage (so the check above can fail)', () => {
    const loaded = awsModulesLoaded(['ls', 's3://some-bucket/', '--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1']);
    expect(loaded.some((k) => k.includes('/@aws-sdk/client-s3/'))).toBe(true);
  });
});
