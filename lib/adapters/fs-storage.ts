/**
 * StoragePort on a local directory: `<root>/<bucket>/<key>` holds each object's bytes as a
 * plain file (so the store can be browsed and backed up with ordinary tools), and
 * `<root>/.dg-meta/<bucket>/` its metadata (see fs-names.ts for why sidecars are named by
 * inode). Every write goes to `<root>/.dg-tmp/` first and is renamed into place, so readers
 * see whole objects or none; conditional puts use link(), which fails atomically when the
 * name exists, so concurrent processes cannot both win.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { constants as fsConstants, createReadStream, createWriteStream, rmSync, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, readFile, readdir, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { DeltaGliderError } from '../errors';
import { undoOnInterrupt } from '../interrupt';
import type {
  BucketInfo,
  CopyOptions,
  DeleteManyResult,
  GetResult,
  ListOptions,
  ListPage,
  Metadata,
  ObjectHead,
  ObjectSummary,
  PutBody,
  PutOptions,
  PutResult,
  StoragePort,
} from '../ports/storage';
import { decodeToken, encodeToken, walkKeys, type ResumePoint, type WalkState } from './fs-listing';
import { checkBucketName, checkKey, META_DIR, objectPath, sidecarPath, TMP_DIR } from './fs-names';

interface Sidecar {
  v: 1;
  key: string;
  /** Unique per write: lets a writer delete only the sidecar it replaced. */
  id: string;
  etag: string;
  size: number;
  contentType?: string;
  metadata: Metadata;
}

const MAX_KEYS = 1000;
/** Rename retries when a concurrent delete prunes the parent directory we just made. */
const PLACE_ATTEMPTS = 5;

export class FsStorage implements StoragePort {
  readonly description: string;
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.description = pathToFileURL(this.root).href;
  }

  async head(bucket: string, key: string): Promise<ObjectHead | null> {
    const path = await this.objectFile(bucket, key);
    const st = await statOrNull(path);
    if (!st || !st.isFile()) return null;
    return this.headFromStat(bucket, key, st);
  }

  async list(bucket: string, options: ListOptions = {}): Promise<ListPage> {
    await this.requireBucket(bucket);
    const maxKeys = Math.min(options.maxKeys ?? MAX_KEYS, MAX_KEYS);
    const prefix = options.prefix ?? '';
    const delimiter = options.delimiter || undefined;
    const state: WalkState = { prefix, after: startingPoint(options) };
    const page: ListPage = { objects: [], commonPrefixes: [] };
    if (maxKeys <= 0) return page;

    let count = 0;
    for await (const file of walkKeys(join(this.root, bucket), state)) {
      if (count === maxKeys) {
        page.nextContinuationToken = encodeToken(state.after as ResumePoint);
        break;
      }
      const cut = delimiter ? file.key.indexOf(delimiter, prefix.length) : -1;
      if (delimiter && cut >= 0) {
        const commonPrefix = file.key.slice(0, cut + delimiter.length);
        page.commonPrefixes.push(commonPrefix);
        state.after = { key: commonPrefix, isPrefix: true };
        count++;
        continue;
      }
      const summary = await this.summary(bucket, file.key, file.path);
      state.after = { key: file.key, isPrefix: false };
      if (!summary) continue; // deleted while we listed
      page.objects.push(summary);
      count++;
    }
    return page;
  }

  async get(bucket: string, key: string): Promise<GetResult> {
    const path = await this.objectFile(bucket, key);
    let handle;
    try {
      handle = await open(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch (err) {
      throw notFoundOr(err, bucket, key);
    }
    try {
      // fstat the open file: the metadata we return belongs to the bytes we stream, even if
      // the key is overwritten meanwhile.
      const st = await handle.stat();
      if (!st.isFile()) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `no such object: ${bucket}/${key}`);
      const head = await this.headFromStat(bucket, key, st);
      return { body: handle.createReadStream(), head };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async put(bucket: string, key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const dest = await this.objectFile(bucket, key);
    const temp = await this.tempPath();
    const forget = undoOnInterrupt(() => rmSync(temp, { force: true }));
    let sidecar: string | undefined;
    try {
      const { etag, size } = await writeBody(body, temp, options.onProgress, options.expectedSha256);
      const { ino } = await stat(temp);
      const meta: Sidecar = {
        v: 1,
        key,
        id: randomUUID(),
        etag,
        size,
        ...(options.contentType ? { contentType: options.contentType } : {}),
        metadata: lowercaseKeys(options.metadata),
      };
      sidecar = sidecarPath(this.root, bucket, key, ino);
      await this.writeAtomic(sidecar, JSON.stringify(meta));
      const replaced = options.ifNoneMatch ? undefined : await this.currentSidecar(bucket, key, dest);
      await this.place(temp, dest, bucket, key, options.ifNoneMatch === true);
      sidecar = undefined; // committed: keep it
      if (replaced) await removeSidecarIfOwned(replaced.path, replaced.id);
      return { etag };
    } finally {
      forget();
      await unlink(temp).catch(() => {});
      if (sidecar) await unlink(sidecar).catch(() => {});
    }
  }

  async delete(bucket: string, key: string): Promise<void> {
    const path = await this.objectFile(bucket, key);
    const st = await statOrNull(path);
    if (!st || !st.isFile()) return; // like S3: deleting a missing key succeeds
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw ioError(`delete ${bucket}/${key}`, err);
    }
    await unlink(sidecarPath(this.root, bucket, key, st.ino)).catch(() => {});
    await this.pruneEmptyDirs(bucket, dirname(path));
  }

  async deleteMany(bucket: string, keys: string[]): Promise<DeleteManyResult> {
    await this.requireBucket(bucket);
    const result: DeleteManyResult = { deleted: [], errors: [] };
    for (const key of keys) {
      try {
        await this.delete(bucket, key);
        result.deleted.push(key);
      } catch (err) {
        const code = err instanceof DeltaGliderError ? err.code : 'ERR_DG_IO';
        result.errors.push({ key, code, message: (err as Error).message });
      }
    }
    return result;
  }

  async copy(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, options: CopyOptions = {}): Promise<void> {
    await this.objectFile(dstBucket, dstKey); // validate before reading the source
    const source = await this.get(srcBucket, srcKey);
    await this.put(
      dstBucket,
      dstKey,
      { stream: source.body, size: source.head.size },
      {
        metadata: options.metadata ?? source.head.metadata,
        contentType: options.contentType ?? source.head.contentType,
      },
    );
  }

  async listBuckets(): Promise<BucketInfo[]> {
    let entries;
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw ioError(`list ${this.root}`, err);
    }
    const buckets: BucketInfo[] = [];
    for (const e of entries) {
      if (e.name.startsWith('.') || !(e.isDirectory() || e.isSymbolicLink())) continue;
      const st = await statOrNull(join(this.root, e.name));
      if (st?.isDirectory()) buckets.push({ name: e.name, creationDate: st.birthtimeMs ? st.birthtime : st.ctime });
    }
    return buckets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async createBucket(bucket: string): Promise<void> {
    checkBucketName(bucket);
    await mkdir(this.root, { recursive: true });
    try {
      await mkdir(join(this.root, bucket));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new DeltaGliderError('ERR_DG_ALREADY_EXISTS', `bucket ${bucket} already exists in ${this.description}`);
      }
      throw ioError(`create bucket ${bucket}`, err);
    }
  }

  async deleteBucket(bucket: string): Promise<void> {
    await this.requireBucket(bucket);
    const page = await this.list(bucket, { maxKeys: 1 });
    if (page.objects.length > 0) {
      throw new DeltaGliderError('ERR_DG_BUCKET_NOT_EMPTY', `bucket ${bucket} is not empty`);
    }
    // Only empty directories remain (left by races with pruning); rmdir-walk them away.
    await removeEmptyTree(join(this.root, bucket));
    await rm(join(this.root, META_DIR, bucket), { recursive: true, force: true });
  }

  async bucketExists(bucket: string): Promise<boolean> {
    checkBucketName(bucket);
    const st = await lstat(join(this.root, bucket)).catch(() => null);
    return st?.isDirectory() ?? false; // a symlinked bucket directory is not followed
  }

  async presignGet(_bucket: string, _key: string, _expiresInSeconds: number): Promise<string> {
    throw new DeltaGliderError(
      'ERR_DG_NOT_IMPLEMENTED',
      `presigned URLs need an S3 endpoint; ${this.description} is a local directory store`,
    );
  }

  // ---- internals ----

  /**
   * Validate names, require the bucket, and return the object's file path. No part of the
   * path below the root may be a symlink: one planted inside a bucket would otherwise send
   * reads, writes and deletes outside the store.
   */
  private async objectFile(bucket: string, key: string): Promise<string> {
    checkKey(key);
    await this.requireBucket(bucket);
    let path = join(this.root, bucket);
    for (const segment of ['', ...key.split('/')]) {
      if (segment !== '') path = join(path, segment);
      const st = await lstat(path).catch(() => null);
      if (!st) break; // the rest does not exist yet
      if (st.isSymbolicLink()) {
        throw new DeltaGliderError('ERR_DG_ACCESS_DENIED', `${bucket}/${key}: ${path} is a symlink; a file:// store never follows symlinks`);
      }
    }
    return objectPath(this.root, bucket, key);
  }

  private async requireBucket(bucket: string): Promise<void> {
    if (!(await this.bucketExists(bucket))) {
      throw new DeltaGliderError('ERR_DG_BUCKET_NOT_FOUND', `no such bucket: ${bucket} (in ${this.description})`);
    }
  }

  private async headFromStat(bucket: string, key: string, st: Stats): Promise<ObjectHead> {
    const meta = await this.readSidecar(bucket, key, st.ino);
    return {
      key,
      size: st.size,
      lastModified: st.mtime,
      etag: meta?.etag,
      contentType: meta?.contentType,
      metadata: meta?.metadata ?? {},
    };
  }

  private async summary(bucket: string, key: string, path: string): Promise<ObjectSummary | null> {
    const st = await statOrNull(path);
    if (!st || !st.isFile()) return null;
    const meta = await this.readSidecar(bucket, key, st.ino);
    return { key, size: st.size, lastModified: st.mtime, etag: meta?.etag };
  }

  /** The sidecar of the file with this inode; null for files placed by hand (no metadata). */
  private async readSidecar(bucket: string, key: string, ino: number): Promise<Sidecar | null> {
    try {
      const parsed = JSON.parse(await readFile(sidecarPath(this.root, bucket, key, ino), 'utf8')) as Sidecar;
      return parsed.v === 1 && parsed.key === key ? parsed : null;
    } catch {
      return null;
    }
  }

  private async currentSidecar(bucket: string, key: string, dest: string): Promise<{ path: string; id: string } | undefined> {
    const st = await statOrNull(dest);
    if (!st || !st.isFile()) return undefined;
    const meta = await this.readSidecar(bucket, key, st.ino);
    return meta ? { path: sidecarPath(this.root, bucket, key, st.ino), id: meta.id } : undefined;
  }

  /** Move the finished temp file to its key: link() when it must not exist yet, else rename(). */
  private async place(temp: string, dest: string, bucket: string, key: string, exclusive: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await mkdir(dirname(dest), { recursive: true });
        if (exclusive) await link(temp, dest);
        else await rename(temp, dest);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && exclusive) {
          throw new DeltaGliderError('ERR_DG_PRECONDITION_FAILED', `${bucket}/${key} already exists (conditional put)`);
        }
        if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR') {
          throw new DeltaGliderError(
            'ERR_DG_USAGE',
            `cannot store ${bucket}/${key} in ${this.description}: a key is both an object and a folder (e.g. 'a' and 'a/b')`,
            { cause: err },
          );
        }
        if (code !== 'ENOENT' || attempt >= PLACE_ATTEMPTS) throw ioError(`write ${bucket}/${key}`, err);
      }
    }
  }

  private async writeAtomic(path: string, content: string): Promise<void> {
    const temp = await this.tempPath();
    try {
      await writeFile(temp, content);
      await mkdir(dirname(path), { recursive: true });
      await rename(temp, path);
    } catch (err) {
      await unlink(temp).catch(() => {});
      throw ioError(`write ${path}`, err);
    }
  }

  private async tempPath(): Promise<string> {
    const dir = join(this.root, TMP_DIR);
    await mkdir(dir, { recursive: true });
    return join(dir, `${process.pid}-${randomBytes(8).toString('hex')}`);
  }

  /** Remove directories left empty by a delete, up to (not including) the bucket directory. */
  private async pruneEmptyDirs(bucket: string, dir: string): Promise<void> {
    const bucketDir = join(this.root, bucket);
    while (dir.startsWith(bucketDir + '/')) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop
      }
      dir = dirname(dir);
    }
  }
}

function startingPoint(options: ListOptions): ResumePoint | undefined {
  if (options.continuationToken) return decodeToken(options.continuationToken);
  if (options.startAfter) return { key: options.startAfter, isPrefix: false };
  return undefined;
}

/** Stream any PutBody into `temp`, computing the MD5 etag (as S3 does for single PUTs). */
function sourceChanged(body: PutBody): DeltaGliderError {
  const what = 'file' in body ? body.file : 'the upload body';
  return new DeltaGliderError('ERR_DG_SOURCE_CHANGED', `${what}: the bytes sent differ from the bytes hashed before (it changed); nothing was stored`);
}

async function writeBody(
  body: PutBody,
  temp: string,
  onProgress?: (n: number) => void,
  expectedSha256?: string,
): Promise<{ etag: string; size: number }> {
  const md5 = createHash('md5');
  const sha256 = expectedSha256 === undefined ? undefined : createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      md5.update(chunk);
      sha256?.update(chunk);
      size += chunk.length;
      onProgress?.(size);
      done(null, chunk);
    },
  });
  const source = 'buffer' in body ? Readable.from([body.buffer]) : 'file' in body ? createReadStream(body.file) : body.stream;
  try {
    onProgress?.(0);
    await pipeline(source as NodeJS.ReadableStream, meter, createWriteStream(temp, { flags: 'wx' }));
  } catch (err) {
    if (err instanceof DeltaGliderError) throw err;
    throw ioError('read the upload body', err);
  }
  if ('stream' in body && body.size !== undefined && body.size !== size) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `stream body has ${size} bytes, declared size was ${body.size}`);
  }
  if (sha256 && sha256.digest('hex') !== expectedSha256) throw sourceChanged(body);
  return { etag: `"${md5.digest('hex')}"`, size };
}

async function removeSidecarIfOwned(path: string, id: string): Promise<void> {
  // The old inode number may already be reused by a new file with its own sidecar; only
  // delete the sidecar we saw before replacing the object.
  try {
    const meta = JSON.parse(await readFile(path, 'utf8')) as Partial<Sidecar>;
    if (meta.id === id) await unlink(path);
  } catch {
    // gone already, or unreadable: nothing to clean
  }
}

async function removeEmptyTree(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await removeEmptyTree(join(dir, e.name));
  try {
    await rmdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') {
      throw new DeltaGliderError('ERR_DG_BUCKET_NOT_EMPTY', `${dir} is not empty`);
    }
    if (code !== 'ENOENT') throw ioError(`remove ${dir}`, err);
  }
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw ioError(`stat ${path}`, err);
  }
}

function notFoundOr(err: unknown, bucket: string, key: string): DeltaGliderError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new DeltaGliderError('ERR_DG_NOT_FOUND', `no such object: ${bucket}/${key}`, { cause: err });
  }
  return ioError(`read ${bucket}/${key}`, err);
}

function ioError(what: string, err: unknown): DeltaGliderError {
  if (err instanceof DeltaGliderError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new DeltaGliderError('ERR_DG_ACCESS_DENIED', `cannot ${what}: ${(err as Error).message}`, { cause: err });
  }
  return new DeltaGliderError('ERR_DG_IO', `cannot ${what}: ${(err as Error).message}`, { cause: err });
}

function lowercaseKeys(metadata: Metadata | undefined): Metadata {
  const out: Metadata = {};
  for (const [k, v] of Object.entries(metadata ?? {})) out[k.toLowerCase()] = String(v);
  return out;
}

