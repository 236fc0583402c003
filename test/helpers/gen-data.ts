/**
 * Deterministic test data shaped like what DeltaGlider stores: binaries with sparse pointer
 * changes, archives with moved/inserted members, text, runs, unrelated noise.
 */

/** xorshift32: reproducible bytes from a seed, fast enough for megabytes. */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

export function randomBytes(n: number, seed: number): Buffer {
  const next = prng(seed);
  const out = Buffer.allocUnsafe(n);
  let i = 0;
  for (; i + 4 <= n; i += 4) out.writeUInt32LE(next(), i);
  for (; i < n; i++) out[i] = next() & 0xff;
  return out;
}

/** Text-like bytes: words from a small vocabulary, so they compress and self-match. */
export function textBytes(n: number, seed: number): Buffer {
  const words = ['delta', 'glider', 'window', 'source', 'target', 'copy', 'add', 'run', 'cache', 'near',
    'same', 'here', 'lzma', 'adler', 'header', 'section', 'function', 'return', 'const', 'export'];
  const next = prng(seed);
  const parts: string[] = [];
  let len = 0;
  while (len < n) {
    const w = words[next() % words.length] + (next() % 7 === 0 ? '\n' : ' ');
    parts.push(w);
    len += w.length;
  }
  return Buffer.from(parts.join('')).subarray(0, n);
}

/** A copy of `ref` with `every`-spaced small overwrites, like relinked binaries. */
export function sparseEdits(ref: Buffer, every: number, seed: number): Buffer {
  const next = prng(seed);
  const out = Buffer.from(ref);
  for (let i = next() % every; i + 4 <= out.length; i += 1 + (next() % (2 * every))) {
    out.writeUInt32LE(next(), i);
  }
  return out;
}

/** Blocks of `ref` reordered, some dropped, new random blocks inserted (archive updates). */
export function shuffledBlocks(ref: Buffer, block: number, seed: number): Buffer {
  const next = prng(seed);
  const blocks: Buffer[] = [];
  for (let i = 0; i < ref.length; i += block) blocks.push(ref.subarray(i, i + block));
  for (let i = blocks.length - 1; i > 0; i--) {
    if (next() % 3 === 0) {
      const j = next() % (i + 1);
      [blocks[i], blocks[j]] = [blocks[j], blocks[i]];
    }
  }
  const out: Buffer[] = [];
  for (const b of blocks) {
    const r = next() % 10;
    if (r === 0) continue; // dropped
    if (r === 1) out.push(randomBytes(1 + (next() % block), next())); // inserted
    out.push(b);
  }
  return Buffer.concat(out);
}

/** Insert and delete a few spans (shifts everything after them). */
export function insertDelete(ref: Buffer, edits: number, seed: number): Buffer {
  const next = prng(seed);
  let out = Buffer.from(ref);
  for (let e = 0; e < edits; e++) {
    const at = out.length ? next() % out.length : 0;
    if (next() % 2) {
      out = Buffer.concat([out.subarray(0, at), randomBytes(1 + (next() % 3000), next()), out.subarray(at)]);
    } else {
      out = Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + (next() % 3000)))]);
    }
  }
  return out;
}

/** Long runs and short periodic patterns: exercises RUN and overlapping self-copies. */
export function runsAndPatterns(n: number, seed: number): Buffer {
  const next = prng(seed);
  const parts: Buffer[] = [];
  let len = 0;
  while (len < n) {
    const kind = next() % 3;
    const size = 1 + (next() % 20000);
    let part: Buffer;
    if (kind === 0) part = Buffer.alloc(size, next() & 0xff);
    else if (kind === 1) {
      const period = randomBytes(1 + (next() % 7), next());
      part = Buffer.alloc(size);
      for (let i = 0; i < size; i++) part[i] = period[i % period.length];
    } else part = randomBytes(Math.min(size, 500), next());
    parts.push(part);
    len += part.length;
  }
  return Buffer.concat(parts).subarray(0, n);
}
