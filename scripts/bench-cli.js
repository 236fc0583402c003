#!/usr/bin/env node
'use strict';
/**
 * CLI benchmark against a local S3 server: for every file of the corpus sets (default
 * A-ts-zip and A-ts-tar), time `deltaglider cp FILE s3://bench/<set>/` and the download back,
 * with each process's peak RSS from /usr/bin/time; then a generated large file uploaded
 * (multipart) and downloaded. Every download is checked byte-exact (SHA-256).
 *
 *   npm run bench:cli -- [CORPUS_DIR] [--sets A-ts-zip,A-ts-tar] [--large-size 1G] [--keep]
 *
 * CORPUS_DIR defaults to ./.bench/corpus, where scripts/make-corpus.sh (npm run bench:corpus)
 * writes it. --large-size 0 skips the large file; the issue's
 * case is --large-size 6G. Needs the compiled CLI (npm run build:ts) and /usr/bin/time.
 */
const { spawn } = require('node:child_process');
const { createHash, randomFillSync } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'deltaglider');
const BUCKET = 'bench';

function parseArgs(argv) {
  const options = { corpus: path.join(ROOT, '.bench', 'corpus'), sets: ['A-ts-zip', 'A-ts-tar'], largeSize: 1024 ** 3, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === '--sets') options.sets = value().split(',').filter(Boolean);
    else if (arg === '--large-size') options.largeSize = parseSize(value());
    else if (arg === '--keep') options.keep = true;
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: bench-cli.js [CORPUS_DIR] [--sets A-ts-zip,A-ts-tar] [--large-size 1G|6G|0] [--keep]');
      process.exit(0);
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else options.corpus = path.resolve(arg);
  }
  return options;
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new Error(`not a size: ${text} (examples: 0, 512M, 1G, 6G)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase()];
  return Math.round(Number(m[1]) * unit);
}

function human(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

async function sha256File(file) {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk);
  return hash.digest('hex');
}

/** Run the CLI under /usr/bin/time; resolves with wall seconds, peak RSS (KiB) and output. */
function timedCli(args, env, cwd) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'DG_BENCH_RSS_KB=%M', process.execPath, BIN, ...args], { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rss = /DG_BENCH_RSS_KB=(\d+)/.exec(stderr);
      const cleanErr = stderr.replace(/.*DG_BENCH_RSS_KB=\d+\s*/s, '').trim();
      if (code !== 0) reject(new Error(`deltaglider ${args.join(' ')} exited ${code}: ${stderr.trim()}`));
      else resolve({ seconds, rssKb: rss ? Number(rss[1]) : NaN, stdout, stderr: cleanErr });
    });
  });
}

async function startS3rver(directory) {
  const S3rver = require('s3rver');
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  return { server, endpoint: `http://127.0.0.1:${port}` };
}

function table(rows, columns) {
  const widths = columns.map((c) => Math.max(c.title.length, ...rows.map((r) => String(r[c.key]).length)));
  const line = (cells) => cells.map((cell, i) => (columns[i].left ? String(cell).padEnd(widths[i]) : String(cell).padStart(widths[i]))).join('  ');
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => r[c.key])))].join('\n');
}

const COLUMNS = [
  { key: 'file', title: 'file', left: true },
  { key: 'size', title: 'size' },
  { key: 'storedAs', title: 'stored as', left: true },
  { key: 'stored', title: 'stored' },
  { key: 'saved', title: 'saved' },
  { key: 'upTime', title: 'up s' },
  { key: 'upRss', title: 'up RSS' },
  { key: 'downTime', title: 'down s' },
  { key: 'downRss', title: 'down RSS' },
  { key: 'exact', title: 'exact' },
];

async function benchFile(file, prefix, ctx, extraArgs = []) {
  const size = fs.statSync(file).size;
  const name = path.basename(file);
  const up = await timedCli(['cp', file, `s3://${BUCKET}/${prefix}/`, '--json', '--no-progress', ...extraArgs], ctx.env, ctx.work);
  const result = JSON.parse(up.stdout);
  const out = path.join(ctx.work, `${prefix}-${name}`);
  const down = await timedCli(['cp', `s3://${BUCKET}/${prefix}/${name}`, out, '--no-progress'], ctx.env, ctx.work);
  const exact = (await sha256File(out)) === (await sha256File(file));
  fs.rmSync(out, { force: true });
  return {
    file: `${prefix}/${name}`,
    size: human(size),
    storedAs: result.directReason ? `${result.storedAs} (${result.directReason})` : result.storedAs,
    stored: human(result.storedSize),
    // A reference is stored whole (as reference.bin) beside its tiny zero-diff delta.
    saved: result.storedAs === 'reference' ? '-' : `${(100 * (1 - result.storedSize / size)).toFixed(1)}%`,
    upTime: up.seconds.toFixed(2),
    upRss: `${(up.rssKb / 1024).toFixed(0)} MiB`,
    downTime: down.seconds.toFixed(2),
    downRss: `${(down.rssKb / 1024).toFixed(0)} MiB`,
    exact: exact ? 'yes' : 'NO',
  };
}

/** A large file of pseudo-random 1 MiB blocks (incompressible, cheap to make). */
async function makeLargeFile(file, size) {
  const block = Buffer.alloc(1024 * 1024);
  const out = fs.createWriteStream(file);
  for (let written = 0; written < size; written += block.length) {
    randomFillSync(block, 0, 4096); // vary each block a little; the rest repeats
    const chunk = size - written < block.length ? block.subarray(0, size - written) : block;
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(ROOT, 'dist', 'lib', 'cli', 'main.js'))) {
    throw new Error('the compiled CLI is missing: run `npm run build:ts` first');
  }
  if (!fs.existsSync('/usr/bin/time')) throw new Error('/usr/bin/time is needed for peak RSS (apt-get install time)');
  const files = [];
  for (const set of options.sets) {
    const dir = path.join(options.corpus, set);
    if (!fs.existsSync(dir)) throw new Error(`no corpus set ${dir} (give the corpus directory as the first argument)`);
    for (const name of fs.readdirSync(dir).sort()) files.push({ file: path.join(dir, name), prefix: set });
  }

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-bench-cli-'));
  const work = path.join(scratch, 'work');
  fs.mkdirSync(work);
  const { server, endpoint } = await startS3rver(path.join(scratch, 's3rver'));
  const env = {
    ...process.env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    // A fresh reference cache: the first download of a deltaspace fetches its reference.
    DG_CACHE_DIR: path.join(scratch, 'cache'),
  };
  const ctx = { env, work };
  try {
    // The SDK's "upgrade Node" notice on Node 20 is noise here (the CLI silences it too).
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { S3Client, CreateBucketCommand } = require('@aws-sdk/client-s3');
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
    client.destroy();

    console.log(`deltaglider cp benchmark: s3rver at ${endpoint}, node ${process.version}, ${os.cpus().length} cpus`);
    const rows = [];
    for (const { file, prefix } of files) {
      const row = await benchFile(file, prefix, ctx);
      rows.push(row);
      process.stderr.write(`  ${row.file}: up ${row.upTime}s, down ${row.downTime}s\n`);
    }
    if (options.largeSize > 0) {
      const large = path.join(scratch, `large-${Math.round(options.largeSize / 1024 ** 2)}MiB.bin`);
      process.stderr.write(`  generating ${human(options.largeSize)} ...\n`);
      await makeLargeFile(large, options.largeSize);
      // Once through the delta path (policy decides) and once stored directly (multipart only).
      rows.push(await benchFile(large, 'large', ctx));
      rows.push(await benchFile(large, 'large-no-delta', ctx, ['--no-delta']));
      fs.rmSync(large, { force: true });
    }
    console.log(table(rows, COLUMNS));
    if (rows.some((r) => r.exact !== 'yes')) process.exitCode = 1;
  } finally {
    await server.close();
    if (!options.keep) fs.rmSync(scratch, { recursive: true, force: true });
    else console.log(`kept ${scratch}`);
  }
}

main().catch((err) => {
  console.error(`bench-cli: ${err.message}`);
  process.exitCode = 1;
});
