/**
 * Ephemeral ReferenceCache (DG_CACHE_BACKEND=memory): for hosts where nothing may persist on
 * disk between runs. The codec wants a file path, so entries live in a private temp
 * directory (0700) that clear() empties and that is removed when the process exits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CachedReference, ReferenceCache } from '../ports/reference-cache';
import { FsReferenceCache } from './fs-reference-cache';

const liveDirs = new Set<string>();
let exitHookInstalled = false;

function removeOnExit(dir: string): void {
  liveDirs.add(dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // One hook for all instances (no listener leak); 'exit' handlers must be synchronous.
  process.once('exit', () => {
    for (const d of liveDirs) rmSync(d, { recursive: true, force: true });
  });
}

export interface MemoryReferenceCacheOptions {
  /** Size cap in bytes. Default 2048 MiB. */
  maxBytes?: number;
}

export class MemoryReferenceCache implements ReferenceCache {
  readonly dir: string;
  private readonly inner: FsReferenceCache;

  constructor(options: MemoryReferenceCacheOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'deltaglider-refs-'));
    removeOnExit(this.dir);
    this.inner = new FsReferenceCache({ dir: this.dir, maxBytes: options.maxBytes });
  }

  get(sha256: string): Promise<CachedReference | null> {
    return this.inner.get(sha256);
  }

  put(sha256: string, body: Readable | { file: string }): Promise<CachedReference> {
    return this.inner.put(sha256, body);
  }

  setAlias(name: string, sha256: string): Promise<void> {
    return this.inner.setAlias(name, sha256);
  }

  getAlias(name: string): Promise<string | null> {
    return this.inner.getAlias(name);
  }

  /** Removes the entries and the directory (it is recreated on the next put). */
  async clear(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
