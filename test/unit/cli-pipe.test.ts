/**
 * bin/deltaglider when the reader of its output goes away (`deltaglider ls | head`): it
 * stops quietly with the SIGPIPE status (141), no stack trace on stderr.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const bin = resolve(__dirname, '../../bin/deltaglider');

/** Runs the CLI with its stdout read end closed at once: exit code and stderr. */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // before node has even started: its first write gets EPIPE
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stderr }));
  });
}

describe('cli output into a closed pipe', () => {
  it('exits with the SIGPIPE status and says nothing', async () => {
    const { code, stderr } = await runIntoClosedPipe(['--help']);
    expect(stderr).toBe('');
    expect(code).toBe(141);
  });
});
