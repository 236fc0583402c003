import { PassThrough } from 'node:stream';

import { main } from '../../lib/cli/main';
import { commands } from '../../lib/cli/commands';
import type { CliIO } from '../../lib/cli/context';
import { DeltaGliderError } from '../../lib/errors';

function capture(): { io: CliIO; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => (o += d));
  err.on('data', (d) => (e += d));
  const io: CliIO = {
    stdout: out, stderr: err, stdin: new PassThrough(), stdoutIsTTY: false, stderrIsTTY: false,
    env: {}, cwd: process.cwd(),
  };
  return { io, stdout: () => o, stderr: () => e };
}

describe('cli main', () => {
  const probe = (ctx: any) => ({
    command: 'probe-test <what>',
    describe: 'test only',
    handler: async (argv: any) => {
      await new Promise((r) => setTimeout(r, 5));
      if (argv.what === 'boom') throw new DeltaGliderError('ERR_DG_NOT_FOUND', 'no such thing');
      ctx.out(`did ${argv.what}`);
    },
  });
  beforeAll(() => commands.push(probe));
  afterAll(() => commands.splice(commands.indexOf(probe), 1));

  it('runs an async handler and returns 0', async () => {
    const c = capture();
    expect(await main(['probe-test', 'x'], c.io)).toBe(0);
    expect(c.stdout()).toBe('did x\n');
  });

  it('maps a handler error to exit code 1 with its code on stderr', async () => {
    const c = capture();
    expect(await main(['probe-test', 'boom'], c.io)).toBe(1);
    expect(c.stderr()).toContain('no such thing (ERR_DG_NOT_FOUND)');
  });

  it('maps usage errors to exit code 2', async () => {
    const c = capture();
    expect(await main(['probe-test'], c.io)).toBe(2);
    expect(c.stderr()).toMatch(/Not enough non-option arguments/);
    const d = capture();
    expect(await main(['no-such-command'], d.io)).toBe(2);
  });

  it('prints help to the given stdout', async () => {
    const c = capture();
    expect(await main(['--help'], c.io)).toBe(0);
    expect(c.stdout()).toContain('probe-test');
  });
});
