/**
 * Lifecycle of the addon's objects, in child processes (for --expose-gc and a clean exit
 * code): objects dropped without close() are finalized and their external memory given
 * back; the addon loads in worker threads and survives a worker terminated mid-write.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

function runNode(args: string[], script: string): string {
  const prelude = `const binding = require('node-gyp-build')(${JSON.stringify(root)});\n`;
  return execFileSync(process.execPath, [...args, '-e', prelude + script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('lifecycle', () => {
  it('frees the native memory of objects dropped without close()', () => {
    // Each index is a few MiB of C heap: resident while the References live, and back to
    // the system once GC has finalized them (glibc returns large blocks immediately).
    const out = runNode(
      ['--expose-gc'],
      `
      const rss = () => process.memoryUsage().rss;
      const settle = async () => {
        for (let i = 0; i < 6; i++) { global.gc(); await new Promise((r) => setImmediate(r)); }
      };
      const bytes = require('node:crypto').randomBytes(8 * 1024 * 1024);
      (async () => {
        await settle();
        const before = rss();
        const refs = await Promise.all(Array.from({ length: 10 }, () => {
          const ref = new binding.Reference(bytes);
          return new Promise((resolve, reject) => ref.buildIndex((e) => (e ? reject(e) : resolve(ref))));
        }));
        const codecs = refs.flatMap((ref) => [new binding.Encoder(ref), new binding.Decoder(ref)]);
        const peak = rss();
        refs.length = 0;
        codecs.length = 0;
        await settle();
        console.log(JSON.stringify({ before, peak, after: rss() }));
      })().catch((e) => { console.error(e); process.exit(1); });
      `,
    );
    const { before, peak, after } = JSON.parse(out) as { before: number; peak: number; after: number };
    const MiB = 1024 * 1024;
    expect(peak - before).toBeGreaterThan(20 * MiB);
    expect(after - before).toBeLessThan(8 * MiB);
  });

  it('keeps the buffers of an in-flight write alive through GC', () => {
    const out = runNode(
      ['--expose-gc'],
      `
      const { createHash } = require('node:crypto');
      const make = (i) => Buffer.alloc(4 * 1024 * 1024, i); // no JS reference kept below
      const digests = [];
      let pending = 3;
      for (let i = 1; i <= 3; i++) {
        const encoder = new binding.Encoder(null, { secondary: 'lzma' });
        encoder.write(make(i), 0, 4 * 1024 * 1024, Buffer.alloc(5 * 1024 * 1024), 0, 5 * 1024 * 1024, true,
          (err, consumed, produced, done) => {
            if (err) throw err;
            digests.push({ i, ok: done && encoder.sha256() === createHash('sha256').update(make(i)).digest('hex') });
            if (--pending === 0) console.log(JSON.stringify(digests.sort((a, b) => a.i - b.i)));
          });
      }
      const timer = setInterval(() => { global.gc(); if (pending === 0) clearInterval(timer); }, 1);
      `,
    );
    expect(JSON.parse(out)).toEqual([1, 2, 3].map((i) => ({ i, ok: true })));
  });

  it('closing a Reference while its index is being built is safe', () => {
    const out = runNode(
      ['--expose-gc'],
      `
      const ref = new binding.Reference(require('node:crypto').randomBytes(16 * 1024 * 1024));
      ref.buildIndex((err) => {
        global.gc();
        console.log(JSON.stringify({ err: err && err.message, closed: ref.closed, indexed: ref.indexed }));
      });
      ref.close();
      `,
    );
    // the build finishes, its caller is answered, and the index is released right away
    expect(JSON.parse(out)).toEqual({ err: null, closed: true, indexed: false });
  });

  it('loads in worker threads, and a worker terminated mid-write exits cleanly', () => {
    const out = runNode(
      [],
      `
      const { Worker } = require('node:worker_threads');
      const code = \`
        const { parentPort, workerData } = require('node:worker_threads');
        const binding = require('node-gyp-build')(workerData.root);
        const input = Buffer.alloc(workerData.size, 7);
        const output = Buffer.alloc(workerData.size + 65536);
        const encoder = new binding.Encoder(null, { secondary: 'lzma' });
        encoder.write(input, 0, input.length, output, 0, output.length, true, (err, consumed, produced, done) => {
          parentPort.postMessage({ err: err && err.message, consumed, done, sha256: done ? encoder.sha256() : null });
        });
      \`;
      const start = (size) => new Worker(code, { eval: true, workerData: { root: ${JSON.stringify(root)}, size } });
      (async () => {
        const results = await Promise.all([1000, 2000, 3000].map((size) => new Promise((resolve, reject) => {
          const w = start(size);
          w.once('message', (m) => { resolve(m); w.terminate(); });
          w.once('error', reject);
        })));
        const busy = start(32 * 1024 * 1024);
        await new Promise((r) => setTimeout(r, 50));
        await busy.terminate();
        console.log(JSON.stringify(results));
      })().catch((e) => { console.error(e); process.exit(1); });
      `,
    );
    const results = JSON.parse(out) as Array<{ err: string | null; consumed: number; done: boolean; sha256: string }>;
    const { createHash } = jest.requireActual<typeof import('node:crypto')>('node:crypto');
    expect(results).toEqual(
      [1000, 2000, 3000].map((size) => ({
        err: null,
        consumed: size,
        done: true,
        sha256: createHash('sha256').update(Buffer.alloc(size, 7)).digest('hex'),
      })),
    );
  });
});
