/**
 * ReferenceCache: local copies of deltaspace references, content-addressed by SHA-256, so a
 * reference is downloaded once and reused across CLI runs. Implementations verify the
 * SHA-256 of a cached file before handing it out and drop it when it does not match.
 */
import type { Readable } from 'node:stream';

export interface ReferenceCache {
  /**
   * Path of a local file whose SHA-256 is `sha256`, or null when not cached (or the cached
   * copy failed verification and was dropped). The path stays valid until release().
   */
  get(sha256: string): Promise<CachedReference | null>;
  /**
   * Store bytes expected to hash to `sha256`; throws ERR_DG_REFERENCE_MISMATCH (and keeps
   * nothing) if they do not.
   */
  put(sha256: string, body: Readable | { file: string }): Promise<CachedReference>;
  /** Remove everything. */
  clear(): Promise<void>;
  /**
   * Names for entries: `name` (e.g. `<reference sha256>.archive-1`, a reference's transformed
   * form) resolves to the SHA-256 of an entry stored with put(). The entry is verified by
   * get() as any other; a name pointing at a missing or other entry is only a miss.
   */
  setAlias(name: string, sha256: string): Promise<void>;
  /** The SHA-256 `name` was given, or null. */
  getAlias(name: string): Promise<string | null>;
}

export interface CachedReference {
  /** A plain local file with the reference bytes, readable until release(). */
  path: string;
  sha256: string;
  size: number;
  /** Free temporary resources (decrypted copies); the cache entry itself stays. */
  release(): Promise<void>;
}
