/**
 * A reference file rewritten shorter after it was opened (mapped): reading its missing
 * pages would kill the process with SIGBUS. Indexing, encoding and decoding must fail
 * with ERR_DG_IO instead, and leave no output behind. Each case runs in a child process,
 * so that a regression shows as a crash of that child, not of the test runner.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function runNode(script: string): { status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
  const prelude = `
    const codec = require(${JSON.stringify(path.join(root, 'dist', 'lib', 'codec'))});
    const fs = require('node:fs');
    const os = require('node:os');
    const path = require('node:path');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-shrunk-'));
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = (name) => path.join(dir, name);
    const bytes = require('node:crypto').randomBytes(4 * 1024 * 1024);
    const report = (p) => p.then(() => console.log('ok'), (e) => console.log(e.code + ' ' + e.message));
  `;
  const res = spawnSync(process.execPath, ['-e', prelude + script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { status: res.status, signal: res.signal, stdout: res.stdout, stderr: res.stderr };
}

describe('a reference file that shrinks while open', () => {
  it('fails the index build (encode) with ERR_DG_IO', () => {
    const r = runNode(`
      fs.writeFileSync(file('ref'), bytes);
      fs.writeFileSync(file('target'), bytes.subarray(1000));
      const ref = codec.openReference(file('ref'));
      fs.truncateSync(file('ref'), 4096);
      report(codec.encodeFile(ref, file('target'), file('delta')).finally(() => {
        ref.close();
        if (fs.existsSync(file('delta'))) console.log('left a delta behind');
      }));
    `);
    expect(r.signal).toBeNull();
    expect(r.stdout).toMatch(/^ERR_DG_IO .*shorter than when it was opened/);
    expect(r.stdout).not.toContain('left a delta behind');
  });

  it('fails with ERR_DG_IO when the file is cut short in the middle of the work', () => {
    // The index build of 48 MiB takes ~100 ms; the truncation lands inside it (the SIGBUS
    // guard catches it) or, on a slow start, before it (the size check does): ERR_DG_IO
    // either way, and the process lives on.
    const r = runNode(`
      const big = Buffer.concat(Array.from({ length: 12 }, () => bytes));
      fs.writeFileSync(file('ref'), big);
      fs.writeFileSync(file('target'), big.subarray(5000, 9 * 1024 * 1024));
      const ref = codec.openReference(file('ref'));
      const work = codec.encodeFile(ref, file('target'), file('delta'));
      setTimeout(() => fs.truncateSync(file('ref'), 4096), 15);
      report(work.finally(() => ref.close())).then(() => console.log('alive'));
    `);
    expect(r.signal).toBeNull();
    expect(r.stdout).toMatch(/^ERR_DG_IO .*\nalive\n$/);
  });

  it('fails a decode that needs the missing bytes with ERR_DG_IO', () => {
    const r = runNode(`
      fs.writeFileSync(file('ref'), bytes);
      const target = Buffer.concat([bytes.subarray(2 * 1024 * 1024), Buffer.from('new tail')]);
      fs.writeFileSync(file('target'), target);
      (async () => {
        await codec.encodeFile(file('ref'), file('target'), file('delta'));
        const ref = codec.openReference(file('ref'));
        fs.truncateSync(file('ref'), 4096);
        await report(codec.decodeFile(ref, file('delta'), file('out')));
        ref.close();
        if (fs.existsSync(file('out'))) console.log('left an output behind');
        // Opened after the change, the same reference is simply too short: a clear mismatch.
        await report(codec.decodeFile(file('ref'), file('delta'), file('out')));
      })();
    `);
    expect(r.signal).toBeNull();
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ERR_DG_IO .*shorter than when it was opened/);
    expect(lines).not.toContain('left an output behind');
    expect(lines[lines.length - 1]).toMatch(/^ERR_DG_SOURCE_MISMATCH /);
  });
});
