/**
 * A ReferenceCache for unit tests: content-addressed files in a temp directory, verified on
 * put (ERR_DG_REFERENCE_MISMATCH, nothing kept) and on get (a tampered entry is dropped),
 * as the real caches do.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { DeltaGliderError } from '../../lib/errors';
import type { CachedReference, ReferenceCache } from '../../lib/ports/reference-cache';

export class MemoryReferenceCache implements ReferenceCache {
  readonly dir = mkdtempSync(join(tmpdir(), 'dg-test-cache-'));
  hits = 0;
  misses = 0;
  puts = 0;

  async get(sha256: string): Promise<CachedReference | null> {
    const path = join(this.dir, sha256);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      this.misses++;
      return null;
    }
    if (sha(bytes) !== sha256) {
      await unlink(path);
      this.misses++;
      return null;
    }
    this.hits++;
    return entry(path, sha256, bytes.length);
  }

  async put(sha256: string, body: Readable | { file: string }): Promise<CachedReference> {
    const bytes = 'file' in body ? await readFile(body.file) : await collect(body);
    const actual = sha(bytes);
    if (actual !== sha256) {
      throw new DeltaGliderError('ERR_DG_REFERENCE_MISMATCH', `reference bytes hash to ${actual}, expected ${sha256}`);
    }
    this.puts++;
    const path = join(this.dir, sha256);
    // Replace by rename, never rewrite in place, as the real caches do: a file handed out
    // earlier (and maybe memory-mapped by an encoder) keeps its bytes.
    const staging = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    await writeFile(staging, bytes);
    await rename(staging, path);
    return entry(path, sha256, bytes.length);
  }

  private readonly aliases = new Map<string, string>();

  async setAlias(name: string, sha256: string): Promise<void> {
    this.aliases.set(name, sha256);
  }

  async getAlias(name: string): Promise<string | null> {
    return this.aliases.get(name) ?? null;
  }

  async clear(): Promise<void> {
    this.aliases.clear();
    for (const name of await readdir(this.dir)) await rm(join(this.dir, name), { force: true });
  }

  /** Overwrite a cached entry's bytes (to test that tampering is caught). */
  async tamper(sha256: string, bytes: Buffer): Promise<void> {
    await writeFile(join(this.dir, sha256), bytes);
  }
}

function entry(path: string, sha256: string, size: number): CachedReference {
  return { path, sha256, size, release: async () => undefined };
}

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
