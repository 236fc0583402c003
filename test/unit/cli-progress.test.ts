/** Progress bars: drawn on a terminal stderr only, never when piped or silenced. */
import { PassThrough } from 'node:stream';

import type { CliIO } from '../../lib/cli/context';
import { createProgress } from '../../lib/cli/progress';

function io(stderrIsTTY: boolean): { io: CliIO; written: () => string } {
  const stderr = Object.assign(new PassThrough(), { isTTY: stderrIsTTY, columns: 100, cursorTo() {}, clearLine() {}, moveCursor() {} });
  let text = '';
  stderr.on('data', (d) => (text += d));
  return {
    io: { stdout: new PassThrough(), stderr, stdin: new PassThrough(), stdoutIsTTY: false, stderrIsTTY, env: {}, cwd: '/' },
    written: () => text,
  };
}

describe('createProgress', () => {
  it('draws bars on a terminal and prints finished lines through the caller when stdout is not one', async () => {
    const t = io(true);
    const progress = createProgress(t.io, {});
    const bar = progress.bar('upload s3://b/k', 2048);
    bar.update(1024);
    const printed: string[] = [];
    progress.print('upload: a to s3://b/a', (line) => printed.push(line));
    await new Promise((r) => setTimeout(r, 150));
    bar.done();
    progress.stop();
    await new Promise((r) => setImmediate(r));
    expect(t.written()).toContain('upload s3://b/k');
    expect(t.written()).toMatch(/50%/);
    expect(printed).toEqual(['upload: a to s3://b/a']);
  });

  it.each([
    ['piped stderr', false, {}],
    ['--quiet', true, { quiet: true }],
    ['--no-progress', true, { noProgress: true }],
    ['--json', true, { json: true }],
  ])('draws nothing with %s', async (_name, tty, options) => {
    const t = io(tty);
    const progress = createProgress(t.io, options);
    const bar = progress.bar('x', 10);
    bar.update(5);
    bar.done();
    const printed: string[] = [];
    progress.print('line', (line) => printed.push(line));
    progress.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(t.written()).toBe('');
    expect(printed).toEqual(['line']);
  });
});
