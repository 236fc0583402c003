/**
 * ReferenceCache in a directory shared by every CLI run: `<dir>/<sha256>.ref` (plain) or
 * `<dir>/<sha256>.enc` (AES-256-GCM, see cache-encryption.ts). Entries are
 * content-addressed, so concurrent processes filling the same entry write identical bytes
 * and the atomic rename makes either one win harmlessly.
 *
 * get() never hands out the entry itself: it hands out a private hard link (plain) or a
 * private decrypted copy, verified by SHA-256, so another process evicting or replacing the
 * entry cannot change the bytes under the caller. release() deletes that private file.
 * The directory is capped in size; least recently used entries (by mtime, touched on every
 * hit) are evicted first, never the entry just handed out.
 *
 * Trust: the directory must be ours and writable by nobody else (checked as ssh checks
 * ~/.ssh), and an entry is used only when it is a regular file we own, opened without
 * following symlinks, hashed through that same descriptor. Anything else is dropped as a
 * miss, so a planted symlink or hard link to someone else's file is never read.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import {
  copyFile, constants as fsConstants, link, lstat, mkdir, open, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeltaGliderError } from '../errors';
import type { CachedReference, ReferenceCache } from '../ports/reference-cache';
import { decryptFile, encryptFile } from './cache-encryption';
import { HashingPassThrough, isSha256Hex } from './sha256-file';

export interface FsReferenceCacheOptions {
  dir: string;
  /** Size cap of the stored entries in bytes. Default 2048 MiB. */
  maxBytes?: number;
  /** 32-byte AES key: entries are stored encrypted. */
  encryptionKey?: Buffer;
}

const TMP = 'tmp';
const ALIAS_SUFFIX = '.alias';
/** Temp files older than this were left by a crashed process. */
const STALE_TMP_MS = 24 * 3600 * 1000;

export class FsReferenceCache implements ReferenceCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly key?: Buffer;
  private readonly suffix: string;

  constructor(options: FsReferenceCacheOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? 2048 * 1024 * 1024;
    this.key = options.encryptionKey;
    this.suffix = this.key ? '.enc' : '.ref';
  }

  async get(sha256: string): Promise<CachedReference | null> {
    checkSha(sha256);
    const entry = this.entryPath(sha256);
    await this.ensureDirs();
    const priv = this.tmpPath(sha256);
    const ok = this.key ? await this.decryptTo(entry, priv, sha256) : await this.linkAndVerify(entry, priv, sha256);
    if (!ok) return null;
    const now = new Date();
    await utimes(entry, now, now).catch(() => {});
    return this.handOut(priv, sha256);
  }

  async put(sha256: string, body: Readable | { file: string }): Promise<CachedReference> {
    checkSha(sha256);
    await this.ensureDirs();
    const priv = this.tmpPath(sha256);
    const hasher = new HashingPassThrough();
    try {
      const source = 'file' in body && typeof body.file === 'string' ? createReadStream(body.file) : (body as Readable);
      await pipeline(source, hasher, createWriteStream(priv, { flags: 'wx', mode: 0o600 }));
    } catch (err) {
      await unlink(priv).catch(() => {});
      throw new DeltaGliderError('ERR_DG_IO', `cannot cache reference ${sha256}: ${(err as Error).message}`, { cause: err });
    }
    const actual = hasher.hash.digest('hex');
    if (actual !== sha256) {
      await unlink(priv).catch(() => {});
      throw new DeltaGliderError(
        'ERR_DG_REFERENCE_MISMATCH',
        `reference bytes hash to ${actual}, expected ${sha256}; nothing was cached`,
      );
    }
    try {
      await this.store(priv, sha256);
      await this.evict(sha256);
    } catch (err) {
      await unlink(priv).catch(() => {});
      throw err;
    }
    return this.handOut(priv, sha256);
  }

  async clear(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (isEntryName(name) || name.endsWith(ALIAS_SUFFIX)) await unlink(join(this.dir, name)).catch(() => {});
    }
  }

  async setAlias(name: string, sha256: string): Promise<void> {
    checkSha(sha256);
    await this.ensureDirs();
    const staging = join(this.dir, TMP, `${randomBytes(8).toString('hex')}.alias`);
    await writeFile(staging, sha256, { mode: 0o600, flag: 'wx' });
    await rename(staging, this.aliasPath(name));
  }

  async getAlias(name: string): Promise<string | null> {
    const path = this.aliasPath(name);
    await this.ensureDirs();
    if (!(await this.isOwnRegularFile(path))) return null;
    const sha = (await readFile(path, 'utf8').catch(() => '')).trim();
    return isSha256Hex(sha) ? sha : null;
  }

  // ---- internals ----

  /** Publish a verified private file as the entry (atomic rename of a staging file). */
  private async store(priv: string, sha256: string): Promise<void> {
    const staging = join(this.dir, TMP, `${randomBytes(8).toString('hex')}.stage`);
    try {
      if (this.key) await encryptFile(priv, staging, this.key, sha256);
      else await linkOrCopy(priv, staging);
      await rename(staging, this.entryPath(sha256));
    } catch (err) {
      await unlink(staging).catch(() => {});
      throw new DeltaGliderError('ERR_DG_IO', `cannot store cache entry ${sha256}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async linkAndVerify(entry: string, priv: string, sha256: string): Promise<boolean> {
    if (!(await this.isOwnRegularFile(entry))) return false;
    try {
      await linkOrCopy(entry, priv);
    } catch {
      return false; // not cached
    }
    if ((await sha256OfOwnFile(priv).catch(() => '')) === sha256) return true;
    await this.drop(entry, priv);
    return false;
  }

  /** A regular file owned by us; anything else under an entry's name is removed (a miss). */
  private async isOwnRegularFile(entry: string): Promise<boolean> {
    const st = await lstat(entry).catch(() => null);
    if (!st) return false;
    if (st.isFile() && isOurs(st.uid)) return true;
    await unlink(entry).catch(() => {});
    return false;
  }

  private async decryptTo(entry: string, priv: string, sha256: string): Promise<boolean> {
    if (!(await this.isOwnRegularFile(entry))) return false;
    const hasher = new HashingPassThrough();
    try {
      await decryptFile(entry, priv, this.key as Buffer, sha256, hasher);
      if (hasher.hash.digest('hex') === sha256) return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        await unlink(priv).catch(() => {});
        return false; // not cached
      }
      // wrong key, tampered or truncated: a miss, and the entry is dropped below
    }
    await unlink(priv).catch(() => {});
    await unlink(entry).catch(() => {});
    return false;
  }

  /** Drop a corrupt entry, unless a concurrent put has already replaced it with another file. */
  private async drop(entry: string, priv: string): Promise<void> {
    const [a, b] = await Promise.all([stat(entry).catch(() => null), stat(priv).catch(() => null)]);
    if (a && b && a.ino === b.ino) await unlink(entry).catch(() => {});
    await unlink(priv).catch(() => {});
  }

  private async handOut(priv: string, sha256: string): Promise<CachedReference> {
    const { size } = await stat(priv);
    let released = false;
    return {
      path: priv,
      sha256,
      size,
      release: async () => {
        if (released) return;
        released = true;
        await unlink(priv).catch(() => {});
      },
    };
  }

  /** Evict least recently used entries until the cap holds; never `keep`. */
  private async evict(keep: string): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const entries: { path: string; size: number; mtimeMs: number; sha: string }[] = [];
    for (const name of names) {
      if (!isEntryName(name)) continue;
      const path = join(this.dir, name);
      const st = await stat(path).catch(() => null);
      if (st) entries.push({ path, size: st.size, mtimeMs: st.mtimeMs, sha: name.slice(0, 64) });
    }
    let total = entries.reduce((sum, e) => sum + e.size, 0);
    entries.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const e of entries) {
      if (total <= this.maxBytes) break;
      if (e.sha === keep) continue;
      await unlink(e.path).catch(() => {});
      total -= e.size;
    }
    await this.removeStaleTemps();
  }

  private async removeStaleTemps(): Promise<void> {
    const tmp = join(this.dir, TMP);
    const cutoff = Date.now() - STALE_TMP_MS;
    for (const name of await readdir(tmp).catch(() => [] as string[])) {
      const st = await stat(join(tmp, name)).catch(() => null);
      if (st && st.mtimeMs < cutoff) await rm(join(tmp, name), { force: true }).catch(() => {});
    }
  }

  private async ensureDirs(): Promise<void> {
    await mkdir(join(this.dir, TMP), { recursive: true, mode: 0o700 });
    for (const dir of [this.dir, join(this.dir, TMP)]) await assertPrivateDir(dir);
  }

  private aliasPath(name: string): string {
    if (!/^[0-9a-zA-Z._-]{1,200}$/.test(name) || name.startsWith('.')) {
      throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `not a cache alias name: ${JSON.stringify(name)}`);
    }
    return join(this.dir, name + ALIAS_SUFFIX);
  }

  private entryPath(sha256: string): string {
    return join(this.dir, sha256 + this.suffix);
  }

  private tmpPath(sha256: string): string {
    return join(this.dir, TMP, `${sha256}-${process.pid}-${randomBytes(6).toString('hex')}`);
  }
}

/**
 * Refuse a cache directory someone else could write into, as ssh refuses such a ~/.ssh: a
 * symlink, a directory owned by another user, or one writable by group or others.
 */
async function assertPrivateDir(dir: string): Promise<void> {
  const st = await lstat(dir);
  const problem = !st.isDirectory()
    ? 'is not a directory (a symlink?)'
    : !isOurs(st.uid)
      ? `is owned by another user (uid ${st.uid})`
      : (st.mode & 0o022) !== 0
        ? `is writable by group or others (mode ${(st.mode & 0o777).toString(8)}; run: chmod 700 ${dir})`
        : undefined;
  if (problem) {
    throw new DeltaGliderError('ERR_DG_CACHE_UNSAFE', `reference cache ${dir} ${problem}; refusing to use it (set DG_CACHE_DIR to a private directory)`);
  }
}

function isOurs(uid: number): boolean {
  return process.getuid === undefined || uid === process.getuid();
}

/** SHA-256 of a file opened without following symlinks, read through that descriptor. */
async function sha256OfOwnFile(path: string): Promise<string> {
  const handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile() || !isOurs(st.uid)) return '';
    const hash = createHash('sha256');
    await pipeline(handle.createReadStream({ autoClose: false }), hash);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** A hard link is free; filesystems without them (some network mounts) get a private copy. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EEXIST') throw err;
    await copyFile(from, to, fsConstants.COPYFILE_EXCL);
  }
}

function isEntryName(name: string): boolean {
  return /^[0-9a-f]{64}\.(ref|enc)$/.test(name);
}

function checkSha(sha256: string): void {
  if (typeof sha256 !== 'string' || !isSha256Hex(sha256)) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `not a lowercase hex SHA-256: ${JSON.stringify(sha256)}`);
  }
}
