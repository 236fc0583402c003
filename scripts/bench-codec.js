#!/usr/bin/env node
'use strict';
/**
 * Codec benchmark: our encoder/decoder (the built library, dist/lib/codec encodeFile/decodeFile,
 * each run in its own node process: this script re-invoked with --child)
 * against `xdelta3 -e -9` and `zstd --patch-from --long=31 -3`, on every consecutive pair
 * of files (version order) in each sub-folder of DIR (the corpus of scripts/make-corpus.sh,
 * `npm run bench:corpus`, is in .bench/corpus); then SHA-256 throughput of ours
 * against `openssl dgst -sha256` on a generated 1 GiB file.
 *
 *   npm run bench:codec -- DIR [--only NAME[,NAME]] [--max-pairs N] [--no-sha] [--sha-mib N]
 *                              [--out FILE.md]
 *
 * Every tool runs as its own process under `/usr/bin/time -f %M` (peak RSS, KiB); speeds are
 * target bytes / wall time of that process (node start-up, ~40 ms, included for ours). Every decode
 * is checked byte-exact against the target. Needs `npm run build` (dist/ and the addon).
 */
const { spawnSync, execFileSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CODEC = path.join(ROOT, 'dist', 'lib', 'codec');
const SELF = __filename;
const TIME = '/usr/bin/time';

function parseArgs(argv) {
  const opts = { dir: undefined, only: undefined, maxPairs: Infinity, sha: true, shaMiB: 1024, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--only') opts.only = argv[++i].split(',');
    else if (a === '--max-pairs') opts.maxPairs = Number(argv[++i]);
    else if (a === '--no-sha') opts.sha = false;
    else if (a === '--sha-mib') opts.shaMiB = Number(argv[++i]);
    else if (a === '--out') opts.out = argv[++i];
    else if (a === '-h' || a === '--help') usage(0);
    else if (!a.startsWith('-') && !opts.dir) opts.dir = a;
    else usage(2, `unknown argument ${a}`);
  }
  if (!opts.dir && opts.sha === false) usage(2, 'give DIR');
  return opts;
}

function usage(code, message) {
  if (message) console.error(`bench-codec: ${message}`);
  console.error('usage: npm run bench:codec -- DIR [--only NAME,...] [--max-pairs N] [--no-sha] [--sha-mib N] [--out FILE.md]');
  process.exit(code);
}

/** `sort -V`-like order: digit runs compare as numbers. */
function versionCompare(a, b) {
  const split = (s) => s.split(/(\d+)/).map((p, i) => (i % 2 ? Number(p) : p));
  const pa = split(a);
  const pb = split(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    if (typeof pa[i] === 'number' && typeof pb[i] === 'number') return pa[i] - pb[i];
    return String(pa[i]) < String(pb[i]) ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Runs one command under /usr/bin/time; returns wall seconds and peak RSS in KiB. */
function timed(cmd, args, { stdout } = {}) {
  const started = process.hrtime.bigint();
  const res = spawnSync(TIME, ['-f', '%M', cmd, ...args], {
    stdio: ['ignore', stdout === undefined ? 'ignore' : stdout, 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stderr = res.stderr.toString();
  const lines = stderr.trim().split('\n');
  const rssKiB = Number(lines[lines.length - 1]);
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.status}):\n${stderr.slice(-2000)}`);
  }
  return { seconds, rssKiB };
}

function sha256File(file) {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest('hex');
}

const isGzipped = (f) => /\.(tgz|gz)$/i.test(f);

/** The three contenders: how each encodes and decodes one pair. */
function tools(ref, target) {
  const gz = isGzipped(target);
  return [
    {
      name: 'deltaglider',
      encode: (delta) => [process.execPath, [SELF, '--child', 'encode', ref, target, delta]],
      decode: (delta, out) => [process.execPath, [SELF, '--child', 'decode', ref, delta, out]],
      calls: (delta, out) => [ref, target, delta, out],
    },
    {
      name: gz ? 'xdelta3 -9 -D' : 'xdelta3 -9',
      encode: (delta) => ['xdelta3', ['-e', '-9', ...(gz ? ['-D'] : []), '-f', '-s', ref, target, delta]],
      decode: (delta, out) => ['xdelta3', ['-d', ...(gz ? ['-D'] : []), '-f', '-s', ref, delta, out]],
    },
    {
      name: 'zstd -3 --long=31',
      encode: (delta) => ['zstd', ['-q', '-f', '-3', '--long=31', `--patch-from=${ref}`, target, '-o', delta]],
      decode: (delta, out) => ['zstd', ['-q', '-f', '-d', '--long=31', `--patch-from=${ref}`, delta, '-o', out]],
    },
  ];
}

function benchPair(work, ref, target) {
  const size = fs.statSync(target).size;
  const want = sha256File(target);
  const rows = [];
  for (const tool of tools(ref, target)) {
    const delta = path.join(work, 'delta.bin');
    const out = path.join(work, 'out.bin');
    fs.rmSync(delta, { force: true });
    fs.rmSync(out, { force: true });
    try {
      const enc = timed(...tool.encode(delta));
      const deltaSize = fs.statSync(delta).size;
      const dec = timed(...tool.decode(delta, out));
      const exact = sha256File(out) === want;
      const calls = tool.calls ? inProcessCalls(...tool.calls(delta, out)) : undefined;
      rows.push({ tool: tool.name, size, deltaSize, enc, dec, exact, calls });
    } catch (err) {
      // One failing tool must not lose the whole run: the row says so, with the reason.
      process.stderr.write(`bench-codec: ${tool.name} failed: ${err.message}\n`);
      rows.push({ tool: tool.name, size, error: err.message.split('\n').slice(-3).join(' ').slice(0, 200) });
    }
  }
  return rows;
}

/**
 * Library use: the same encodeFile/decodeFile calls timed inside one long-running process
 * (start-up excluded), best of CALL_RUNS each. These are the figures the codec's speed
 * targets are about; the process figures add node start-up, which is what a CLI run pays.
 */
const CALL_RUNS = 5;
function inProcessCalls(ref, target, delta, out) {
  const res = spawnSync(process.execPath, [SELF, '--child', 'calls', ref, target, delta, out], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`in-process calls failed: ${res.stderr.slice(-2000)}`);
  const [encode, decode] = res.stdout.trim().split(' ').map(Number);
  return { encode, decode };
}

const mb = (bytes, seconds) => (bytes / 1e6 / seconds).toFixed(1);
const mib = (kib) => (kib / 1024).toFixed(0);
const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

function benchFolder(work, folder, opts, lines, ratios) {
  const files = fs
    .readdirSync(folder)
    .filter((f) => fs.statSync(path.join(folder, f)).isFile())
    .sort(versionCompare);
  const pairs = files.slice(1).map((f, i) => [files[i], f]).slice(0, opts.maxPairs);
  if (!pairs.length) return;
  lines.push(`### ${path.basename(folder)}`, '');
  lines.push(
    '| reference → target | tool | target | delta | % of target | encode MB/s | decode MB/s | ' +
      'enc RSS MiB | dec RSS MiB | exact | in-process encode MB/s | in-process decode MB/s |',
  );
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|:-:|---:|---:|');
  const folderRatios = [];
  for (const [a, b] of pairs) {
    process.stderr.write(`bench-codec: ${path.basename(folder)}: ${a} -> ${b}\n`);
    const rows = benchPair(work, path.join(folder, a), path.join(folder, b));
    for (const r of rows) {
      if (r.error) {
        lines.push(`| ${a} → ${b} | ${r.tool} | ${r.size} | failed: ${r.error.replace(/\|/g, '/')} | | | | | | | | |`);
        continue;
      }
      lines.push(
        `| ${a} → ${b} | ${r.tool} | ${r.size} | ${r.deltaSize} | ${((100 * r.deltaSize) / r.size).toFixed(2)} | ` +
          `${mb(r.size, r.enc.seconds)} | ${mb(r.size, r.dec.seconds)} | ${mib(r.enc.rssKiB)} | ${mib(r.dec.rssKiB)} | ` +
          `${r.exact ? 'yes' : '**NO**'} | ` +
          (r.calls ? `${mb(r.size, r.calls.encode)} | ${mb(r.size, r.calls.decode)} |` : '| |'),
      );
    }
    if (!rows[0].error && !rows[1].error) folderRatios.push(rows[0].deltaSize / rows[1].deltaSize);
  }
  ratios.push(...folderRatios);
  if (!folderRatios.length) return;
  lines.push('', `Geomean of our delta size / xdelta3's: **${geomean(folderRatios).toFixed(3)}** (${folderRatios.length} pairs)`, '');
}

/** SHA-256 MB/s of ours (hashFile through the built library) vs openssl, same cached file. */
function benchSha(work, mibSize, lines) {
  const file = path.join(work, 'sha-input.bin');
  const chunk = crypto.randomBytes(16 << 20);
  const fd = fs.openSync(file, 'w');
  for (let i = 0; i < mibSize / 16; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
  const size = fs.statSync(file).size;
  sha256File(file); // warm the page cache so both read from memory

  const runs = { ours: [], openssl: [] };
  let oursHex = '';
  const oursInProcess = [];
  let opensslHex = '';
  for (let i = 0; i < 3; i++) {
    const o = path.join(work, 'sha-ours.txt');
    const fdo = fs.openSync(o, 'w');
    runs.ours.push(timed(process.execPath, [SELF, '--child', 'hash', '', file], { stdout: fdo }));
    fs.closeSync(fdo);
    const [hex, inProcess] = fs.readFileSync(o, 'utf8').trim().split(' ');
    oursHex = hex;
    oursInProcess.push(Number(inProcess));
    const s = path.join(work, 'sha-openssl.txt');
    const fds = fs.openSync(s, 'w');
    runs.openssl.push(timed('openssl', ['dgst', '-sha256', '-r', file], { stdout: fds }));
    fs.closeSync(fds);
    opensslHex = fs.readFileSync(s, 'utf8').split(' ')[0];
  }
  const best = (rs) => Math.min(...rs.map((r) => r.seconds));
  lines.push('### SHA-256', '');
  lines.push(`${(size / 2 ** 30).toFixed(2)} GiB generated file, in the page cache; best of 3 process runs (node start-up included for ours).`, '');
  lines.push('| implementation | MB/s | peak RSS MiB |', '|---|---:|---:|');
  lines.push(`| deltaglider hashFile (whole process) | ${mb(size, best(runs.ours))} | ${mib(runs.ours[0].rssKiB)} |`);
  lines.push(`| deltaglider hashFile (the call alone) | ${mb(size, Math.min(...oursInProcess))} | |`);
  lines.push(`| openssl dgst -sha256 | ${mb(size, best(runs.openssl))} | ${mib(runs.openssl[0].rssKiB)} |`);
  lines.push('', `Digests agree: ${oursHex === opensslHex ? 'yes' : `**NO** (${oursHex} vs ${opensslHex})`}`, '');
  fs.rmSync(file, { force: true });
}

function firstLine(res) {
  return (res.stdout.toString() + res.stderr.toString()).trim().split('\n')[0].split(',')[0];
}

/** Child mode: one encodeFile/decodeFile call with the library's defaults. */
async function child([op, ref, input, output, extra]) {
  const codec = require(CODEC);
  if (op === 'encode') await codec.encodeFile(ref, input, output);
  else if (op === 'decode') await codec.decodeFile(ref, input, output);
  else if (op === 'calls') {
    const [target, delta, out] = [input, output, extra];
    // Each call writes a new file, as a download to a fresh path does: replacing an existing
    // file makes the kernel free its old pages first (~3-6 ms for 4 MB here), which is the
    // file system's cost, not the codec's.
    const best = async (fn, output) => {
      let min = Infinity;
      for (let i = 0; i < CALL_RUNS; i++) {
        fs.rmSync(output, { force: true });
        const started = process.hrtime.bigint();
        await fn();
        min = Math.min(min, Number(process.hrtime.bigint() - started) / 1e9);
      }
      return min;
    };
    const encode = await best(() => codec.encodeFile(ref, target, delta), delta);
    const decode = await best(() => codec.decodeFile(ref, delta, out), out);
    process.stdout.write(`${encode} ${decode}`);
  }
  else if (op === 'startup') codec.sha256Impl(); // loads the addon: what every run pays first
  else if (op === 'hash') {
    const started = process.hrtime.bigint();
    const { sha256 } = await codec.hashFile(input);
    process.stdout.write(`${sha256} ${Number(process.hrtime.bigint() - started) / 1e9}`);
  }
  else throw new Error(`unknown child op ${op}`);
}

function main() {
  if (process.argv[2] === '--child') {
    child(process.argv.slice(3)).catch((err) => {
      console.error(`bench-codec child: ${err.code ?? ''} ${err.message}`);
      process.exitCode = 1;
    });
    return;
  }
  const opts = parseArgs(process.argv.slice(2));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-bench-'));
  const lines = [];
  const header = [
    `Run ${new Date().toISOString()} on ${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}; ` +
      `${firstLine(spawnSync('xdelta3', ['-V']))}; ` +
      `${execFileSync('zstd', ['-V']).toString().replace(/\*/g, '').split(',')[0].trim()}.`,
    '',
  ];
  try {
    const ratios = [];
    const startup = Math.min(...[1, 2, 3, 4, 5].map(() => timed(process.execPath, [SELF, '--child', 'startup']).seconds));
    header.push(
      `Fixed cost in every deltaglider figure: node start-up + loading the codec = ${(startup * 1000).toFixed(0)} ms ` +
        '(best of 5); it dominates the speeds of the small (4 MB) pairs.',
      '',
    );
    if (opts.dir) {
      const folders = fs
        .readdirSync(opts.dir)
        .filter((d) => fs.statSync(path.join(opts.dir, d)).isDirectory())
        .filter((d) => !opts.only || opts.only.includes(d))
        .sort(versionCompare);
      for (const d of folders) benchFolder(work, path.join(opts.dir, d), opts, lines, ratios);
      if (ratios.length) {
        lines.push(`**Overall geomean of our delta size / xdelta3 -9's: ${geomean(ratios).toFixed(3)}** over ${ratios.length} pairs.`, '');
      }
    }
    if (opts.sha) benchSha(work, opts.shaMiB, lines);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  const text = [...header, ...lines].join('\n');
  process.stdout.write(text + '\n');
  if (opts.out) fs.writeFileSync(opts.out, text + '\n');
}

main();
