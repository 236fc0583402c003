/**
 * The CLI starts without the AWS SDK (about 50 ms of module loading): `--help`, usage errors,
 * the local `delta` commands and a `file://` store never need it; S3 storage loads it when a
 * command opens it. Checked on the built CLI (`dist/`, built by `pretest`) in a fresh node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** Runs the CLI's main() on args in a fresh node: its exit code and the @aws-sdk modules it loaded. */
function run(args: string[]): { code: number; aws: string[] } {
  const script = `
    const { PassThrough } = require('node:stream');
    const sink = () => { const s = new PassThrough(); s.resume(); return s; };
    const io = { stdout: sink(), stderr: sink(), stdin: new PassThrough(), stdoutIsTTY: false,
                 stderrIsTTY: false, env: {}, cwd: process.cwd() };
    require(${JSON.stringify(join(root, 'dist/lib/cli/main.js'))})
      .main(JSON.parse(process.argv[1]), io)
      .then((code) => {
        const aws = Object.keys(require.cache).filter((k) => k.includes('/node_modules/@aws-sdk/'));
        process.stdout.write(JSON.stringify({ code, aws }));
      });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script, JSON.stringify(args)], { encoding: 'utf8' }));
}

describe('cli start-up', () => {
  it('loads no AWS SDK module for --help, a usage error or a local delta command', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dg-startup-'));
    writeFileSync(join(dir, 'ref'), 'hello reference\n'.repeat(100));
    writeFileSync(join(dir, 'target'), 'hello target\n'.repeat(100));
    expect(run(['--help'])).toEqual({ code: 0, aws: [] });
    expect(run(['put-bucket-acl', '--help'])).toEqual({ code: 0, aws: [] });
    expect(run(['no-such-command'])).toEqual({ code: 2, aws: [] });
    expect(run(['delta', 'encode', '--source', join(dir, 'ref'), join(dir, 'target'), join(dir, 'd')])).toEqual({ code: 0, aws: [] });
  });

  it('loads none for a command on a file:// store', () => {
    const store = mkdtempSync(join(tmpdir(), 'dg-startup-store-'));
    const file = join(store, 'artifact.zip');
    writeFileSync(file, 'zip bytes\n'.repeat(1000));
    const endpoint = ['--endpoint-url', `file://${store}/s3`];
    expect(run(['mb', 's3://b', ...endpoint])).toEqual({ code: 0, aws: [] });
    expect(run(['cp', file, 's3://b/r/', ...endpoint])).toEqual({ code: 0, aws: [] });
    expect(run(['ls', 's3://b/r/', ...endpoint])).toEqual({ code: 0, aws: [] });
  });

  it('does load it once a command opens S3 storage (so the check above can fail)', () => {
    const { aws } = run(['ls', 's3://some-bucket/', '--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1']);
    expect(aws.some((k) => k.includes('/@aws-sdk/client-s3/'))).toBe(true);
  });
});
