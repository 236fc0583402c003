#!/usr/bin/env node
'use strict';
/**
 * Builds the xdelta3 interop vectors under test/fixtures/xdelta3 (or OUTDIR):
 *
 *   node scripts/make-xdelta3-vectors.js [OUTDIR]     (npm run fixtures:xdelta3)
 *
 * The inputs (data/) are derived from SHAKE-256 streams keyed by fixed labels, so they are
 * byte-identical on every run and machine. The deltas (deltas/*.vcdiff) are written by the
 * real `xdelta3` (XDELTA3=path to use another binary; 3.0.11 is what the tests expect), run
 * inside data/ so that the application header holds base names. Every delta must decode back
 * through `xdelta3 -d` to its target, and must show, in xdelta3's own `printhdrs` dump (kept
 * as deltas/NAME.printhdrs.txt for test/unit/codec-inspect.test.ts), the property its case is
 * there for; otherwise the script fails and writes nothing. manifest.json lists every case
 * with sizes and SHA-256s; the TypeScript and C tests read it.
 *
 * The committed output is the output of this script: `git diff --stat test/fixtures` after a
 * run is empty (.ci/run checks that).
 */
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'test', 'fixtures', 'xdelta3'));
const XDELTA3 = process.env.XDELTA3 || 'xdelta3';

// ---- deterministic inputs ------------------------------------------------------------------

/** n bytes of SHAKE-256(label): a reproducible pseudo-random stream. */
const stream = (label, n) => crypto.createHash('shake256', { outputLength: n }).update(`dg-vectors/${label}`).digest();

const VOCABULARY = `build artifact release tarball checksum mirror bucket object prefix reference delta
patch window segment offset length header section instruction address cache near same run
copy add source target encoder decoder stream chunk buffer index hash match literal version
manifest upload download verify store node module package binary native addon compile link
test suite vector fixture the a of and to in for on with by from is are was be as at or not`
  .split(/\s+/)
  .map((w) => Buffer.from(w));

/** n bytes of word salad: compressible, and it matches itself the way source text does. */
function text(label, n) {
  const pick = stream(`text/${label}`, n);
  const parts = [];
  let len = 0;
  for (let i = 0; len < n; i++) {
    const b = pick[i];
    const word = VOCABULARY[b % VOCABULARY.length];
    parts.push(word, Buffer.from(b % 11 === 0 ? '\n' : ' '));
    len += word.length + 1;
  }
  return Buffer.concat(parts).subarray(0, n);
}

/** A copy of `buf` with `stream(label, length)` written over it at each offset. */
function overwrite(buf, label, offsets, length) {
  const out = Buffer.from(buf);
  offsets.forEach((at, i) => stream(`${label}/${i}`, length).copy(out, at));
  return out;
}

function inputs() {
  const files = {};
  files['empty.bin'] = Buffer.alloc(0);
  files['text4k.bin'] = text('text4k', 4096);

  // A 32 KiB text and three simple edits of it.
  const base = text('base', 32768);
  files['base.bin'] = base;
  files['base-inplace.bin'] = overwrite(base, 'inplace', [700, 15000, 31000], 16);
  files['base-insert.bin'] = Buffer.concat([base.subarray(0, 9000), text('insert', 1000), base.subarray(9000)]);
  files['base-delete.bin'] = Buffer.concat([base.subarray(0, 12000), base.subarray(16000)]);

  // Built to be encoded without a source: every kind of copy within the target itself.
  const block = stream('selfrep/block', 1500);
  const near = Buffer.from(block);
  near[700] ^= 0xff;
  const head = text('selfrep/head', 2500);
  files['selfrep.bin'] = Buffer.concat([
    head,
    block,
    block, // exact repeat, 1500 bytes back
    near, // a repeat with one byte changed
    Buffer.alloc(2500, 0x2a), // a run of one byte
    Buffer.from('abcd'.repeat(1500)), // period 4: a copy overlapping its own output
    head, // a repeat from far back
    stream('selfrep/tail', 600),
  ]);

  // The pair behind the flag variants and the multi-window cases: copies from the source
  // with an incompressible insert, a compressible insert, a deletion and a small overwrite.
  const src = text('mixed/src', 100000);
  const tgt = Buffer.concat([
    src.subarray(0, 30000),
    stream('mixed/random-insert', 2000),
    src.subarray(30000, 60000),
    text('mixed/text-insert', 5000),
    src.subarray(65000),
  ]);
  Buffer.from('0123456789').copy(tgt, 50000);
  files['mixed-src.bin'] = src;
  files['mixed-tgt.bin'] = tgt;

  // A source larger than -B 524288 (544 KiB): the target is the source's last 64 KiB and then
  // its first 64 KiB, with 8-byte edits every 64 KiB. With the default -B xdelta3 sees the
  // whole source (a few COPYs); with -B 524288 it cannot reach both ends at once.
  const big = text('big/src', 557056);
  files['big-src.bin'] = big;
  files['big-tgt.bin'] = overwrite(
    Buffer.concat([big.subarray(big.length - 65536), big.subarray(0, 65536)]),
    'big/edit',
    [100, 65636],
    8,
  );

  // Incompressible and unrelated to each other.
  files['rand-src.bin'] = stream('rand/src', 16384);
  files['rand-tgt.bin'] = stream('rand/tgt', 16384);
  return files;
}

// ---- cases -----------------------------------------------------------------------------

/** What a case's printhdrs dump must show: the property the case exists for. */
const has = (re) => (dump) => re.test(dump);
const not = (re) => (dump) => !re.test(dump);
const windowsOver = (n) => (dump) => (dump.match(/^VCDIFF window number:/gm) ?? []).length > n;
const secondary = (name) => has(new RegExp(`^VCDIFF secondary compressor:\\s+${name}\\s*$`, 'm'));
const noSecondary = not(/^VCDIFF header indicator:.*VCD_SECONDARY/m);
const noSourceWindow = not(/^VCDIFF window indicator:.*VCD_SOURCE/m);

// name, source (null: none), target, xdelta3 flags, checks on the printhdrs dump.
const CASES = [
  ['empty-source', 'empty.bin', 'text4k.bin', '', []],
  ['empty-target', 'text4k.bin', 'empty.bin', '', []],
  ['empty-both', 'empty.bin', 'empty.bin', '', []],
  ['identical', 'base.bin', 'base.bin', '', [has(/VCD_SOURCE/)]],
  ['inplace-edit', 'base.bin', 'base-inplace.bin', '', [has(/VCD_SOURCE/)]],
  ['insertion', 'base.bin', 'base-insert.bin', '', [has(/VCD_SOURCE/)]],
  ['deletion', 'base.bin', 'base-delete.bin', '', [has(/VCD_SOURCE/)]],
  ['nosource-selfcopy', null, 'selfrep.bin', '', [noSourceWindow, secondary('lzma')]],
  ['nosource-selfcopy-S-none', null, 'selfrep.bin', '-S none', [noSourceWindow, noSecondary]],
  ['multiwindow-W16384', 'mixed-src.bin', 'mixed-tgt.bin', '-W 16384', [windowsOver(4), secondary('lzma')]],
  ['multiwindow-W16384-S-none', 'mixed-src.bin', 'mixed-tgt.bin', '-W 16384 -S none', [windowsOver(4), noSecondary]],
  ['multiwindow-W16384-S-djw', 'mixed-src.bin', 'mixed-tgt.bin', '-W 16384 -S djw', [windowsOver(4), secondary('Static Huffman')]],
  ['mixed-default', 'mixed-src.bin', 'mixed-tgt.bin', '', [secondary('lzma'), has(/VCD_APPHEADER/), has(/adler32/)]],
  ['mixed-S-none', 'mixed-src.bin', 'mixed-tgt.bin', '-S none', [noSecondary]],
  ['mixed-S-djw', 'mixed-src.bin', 'mixed-tgt.bin', '-S djw', [secondary('Static Huffman')]],
  ['mixed-S-djw9', 'mixed-src.bin', 'mixed-tgt.bin', '-S djw9', [secondary('Static Huffman')]],
  ['mixed-S-fgk', 'mixed-src.bin', 'mixed-tgt.bin', '-S fgk', [secondary('FGK Adaptive Huffman')]],
  ['mixed-level0', 'mixed-src.bin', 'mixed-tgt.bin', '-0', []],
  ['mixed-level9', 'mixed-src.bin', 'mixed-tgt.bin', '-9', []],
  ['mixed-no-appheader', 'mixed-src.bin', 'mixed-tgt.bin', '-A', [not(/VCD_APPHEADER/)]],
  ['mixed-no-checksum', 'mixed-src.bin', 'mixed-tgt.bin', '-n', [not(/adler32/)]],
  ['mixed-plain-rfc', 'mixed-src.bin', 'mixed-tgt.bin', '-A -n -S none', [not(/VCD_APPHEADER/), not(/adler32/), noSecondary]],
  ['big-B524288', 'big-src.bin', 'big-tgt.bin', '-B 524288', [has(/VCD_SOURCE/)]],
  ['big-default-B', 'big-src.bin', 'big-tgt.bin', '', [has(/VCD_SOURCE/)]],
  ['random-unrelated', 'rand-src.bin', 'rand-tgt.bin', '', []],
  ['random-nosource', null, 'rand-tgt.bin', '', [noSourceWindow]],
  ['random-nosource-S-none', null, 'rand-tgt.bin', '-S none', [noSourceWindow, noSecondary]],
];

// ---- run -------------------------------------------------------------------------------

const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const xdelta3 = (args, cwd) => execFileSync(XDELTA3, args, { cwd, maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });

function main() {
  // xdelta3 -V prints on stderr.
  const probe = spawnSync(XDELTA3, ['-V'], { encoding: 'utf8' });
  if (probe.error) throw new Error(`cannot run ${XDELTA3}: ${probe.error.message} (Debian/Ubuntu: apt-get install xdelta3)`);
  let version = `${probe.stdout}${probe.stderr}`;
  version = version.split('\n').find((l) => /version/i.test(l)) ?? '';
  if (!/version 3\.0\.11\b/.test(version)) console.error(`warning: the tests expect xdelta3 3.0.11; this is: ${version || 'unknown'}`);

  // Build everything in a temp dir; replace OUT only when every case passed.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-make-vectors-'));
  try {
    const data = path.join(work, 'data');
    const deltas = path.join(work, 'deltas');
    fs.mkdirSync(data);
    fs.mkdirSync(deltas);
    const files = inputs();
    for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(path.join(data, name), bytes);

    const cases = [];
    const failures = [];
    for (const [name, source, target, flags, checks] of CASES) {
      const flagArgs = flags ? flags.split(' ') : [];
      const deltaRel = `deltas/${name}.vcdiff`;
      const delta = path.join(work, deltaRel);
      const sourceArgs = source ? ['-s', source] : [];
      xdelta3(['-e', '-f', ...flagArgs, ...sourceArgs, target, delta], data);
      const decoded = xdelta3(['-d', '-c', ...(source ? ['-s', path.join(data, source)] : []), delta], work);
      if (!decoded.equals(files[target])) failures.push(`${name}: xdelta3 -d does not give the target back`);
      const dump = xdelta3(['printhdrs', delta], work).toString();
      fs.writeFileSync(path.join(deltas, `${name}.printhdrs.txt`), dump);
      checks.forEach((check, i) => {
        if (!check(dump)) failures.push(`${name}: printhdrs check ${i + 1} fails`);
      });
      const bytes = fs.readFileSync(delta);
      cases.push({
        name, // first key: native/test/test_util.h reads the fields that follow "name"
        source: source && `data/${source}`,
        target: `data/${target}`,
        delta: deltaRel,
        printhdrs: `deltas/${name}.printhdrs.txt`,
        flags,
        encode_command: `xdelta3 -e${flags ? ` ${flags}` : ''}${source ? ` -s ${source}` : ''} ${target} ${name}.vcdiff   (inside data/)`,
        windows: (dump.match(/^VCDIFF window number:/gm) ?? []).length,
        source_size: source ? files[source].length : null,
        target_size: files[target].length,
        delta_size: bytes.length,
        source_sha256: source ? sha256(files[source]) : null,
        target_sha256: sha256(files[target]),
        delta_sha256: sha256(bytes),
      });
    }

    // Cross-case properties.
    const byName = Object.fromEntries(cases.map((c) => [c.name, c]));
    if (!(byName['big-B524288'].source_size > 524288)) failures.push('big-B524288: the source is not larger than -B');
    if (!(byName['big-B524288'].delta_size > 10 * byName['big-default-B'].delta_size))
      failures.push('big-B524288: -B 524288 did not limit what xdelta3 could copy');
    if (!(byName['nosource-selfcopy'].delta_size < files['selfrep.bin'].length / 3))
      failures.push('nosource-selfcopy: xdelta3 did not copy within the target');
    if (!(byName['identical'].delta_size < 100)) failures.push('identical: not a single COPY');
    if (byName['mixed-S-djw'].delta_sha256 === byName['mixed-S-none'].delta_sha256) failures.push('mixed-S-djw: same as -S none');
    if (failures.length) throw new Error(`vectors not written:\n  ${failures.join('\n  ')}`);

    const manifest = {
      generator: 'scripts/make-xdelta3-vectors.js',
      xdelta3_version: version.trim(),
      note: 'paths are relative to this folder; the deltas were encoded inside data/, so application headers hold base names',
      cases,
    };
    fs.writeFileSync(path.join(work, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    fs.rmSync(OUT, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.cpSync(work, OUT, { recursive: true });
    let total = 0;
    for (const dir of ['data', 'deltas']) for (const f of fs.readdirSync(path.join(OUT, dir))) total += fs.statSync(path.join(OUT, dir, f)).size;
    console.log(`${cases.length} cases in ${path.relative(process.cwd(), OUT) || '.'} (${(total / 1024).toFixed(0)} KiB)`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (err) {
  console.error(`make-xdelta3-vectors: ${err.message}`);
  process.exit(1);
}
