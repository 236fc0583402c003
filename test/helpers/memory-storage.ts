/**
 * An in-memory StoragePort for unit tests: S3-like listing (prefix, delimiter, paging with
 * continuation tokens), conditional puts that can be enforced or ignored (a store like
 * s3rver), and hooks to interleave concurrent operations or inject faults.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';

import { DeltaGliderError } from '../../lib/errors';
import type {
  BucketInfo, CopyOptions, DeleteManyResult, GetResult, ListOptions, ListPage, Metadata, ObjectHead, PutBody,
  PutOptions, PutResult, StoragePort,
} from '../../lib/ports/storage';

export interface StoredObject {
  body: Buffer;
  metadata: Metadata;
  contentType?: string;
  lastModified: Date;
  etag: string;
}

export type StorageOp = 'head' | 'list' | 'get' | 'put' | 'delete' | 'deleteMany' | 'copy';

/** Called before each operation; may await (to interleave) or throw (to inject a fault). */
export type StorageHook = (op: StorageOp, bucket: string, key: string, options?: PutOptions) => void | Promise<void>;
/** Called when an operation has completed (or failed). */
export type StorageAfterHook = (op: StorageOp, bucket: string, key: string) => void;

export interface MemoryStorageOptions {
  buckets?: string[];
  /** Enforce put({ ifNoneMatch }) (default true). False: accept and ignore it, as s3rver does. */
  enforceIfNoneMatch?: boolean;
  /** Bytes per chunk of get() bodies (default 4096), so readers see real streaming. */
  chunkSize?: number;
}

export class MemoryStorage implements StoragePort {
  readonly description = 'memory';
  private readonly enforceIfNoneMatch: boolean;
  readonly buckets = new Map<string, Map<string, StoredObject>>();
  /** Every operation, in order, as `op key` (for asserting what was done). */
  readonly calls: string[] = [];
  hook: StorageHook | undefined;
  afterHook: StorageAfterHook | undefined;
  /**
   * Damage a GET body on its way (the stored object stays intact): return other bytes (a
   * flipped bit, a body cut short), or `{ failAfter }` to end the stream with an error
   * (a reset) after that many bytes; undefined leaves it alone.
   */
  bodyFault: ((key: string, body: Buffer) => Buffer | { failAfter: number } | undefined) | undefined;
  private readonly chunkSize: number;
  private clock = 0;

  constructor(options: MemoryStorageOptions = {}) {
    this.enforceIfNoneMatch = options.enforceIfNoneMatch ?? true;
    this.chunkSize = options.chunkSize ?? 4096;
    for (const b of options.buckets ?? ['bucket']) this.buckets.set(b, new Map());
  }

  // ---- test helpers ----

  /** Write an object directly (bypassing hooks), e.g. to build a bucket another tool wrote. */
  setObject(bucket: string, key: string, body: Buffer, metadata: Metadata = {}, contentType?: string): void {
    this.bucket(bucket).set(key, this.stored(body, metadata, contentType));
  }

  /** Remove an object directly (bypassing hooks), e.g. a concurrent deleter. */
  removeObject(bucket: string, key: string): void {
    this.bucket(bucket).delete(key);
  }

  object(bucket: string, key: string): StoredObject | undefined {
    return this.buckets.get(bucket)?.get(key);
  }

  keys(bucket: string): string[] {
    return [...this.bucket(bucket).keys()].sort();
  }

  // ---- StoragePort ----

  async head(bucket: string, key: string): Promise<ObjectHead | null> {
    return this.run('head', bucket, key, undefined, async () => {
      const obj = this.bucket(bucket).get(key);
      return obj ? this.headOf(key, obj) : null;
    });
  }

  async list(bucket: string, options: ListOptions = {}): Promise<ListPage> {
    return this.run('list', bucket, options.prefix ?? '', undefined, async () => {
      const prefix = options.prefix ?? '';
      const maxKeys = Math.min(options.maxKeys ?? 1000, 1000);
      const after = options.continuationToken ? Buffer.from(options.continuationToken, 'base64').toString('utf8') : options.startAfter ?? '';
      const objects: ListPage['objects'] = [];
      const commonPrefixes: string[] = [];
      let last = '';
      let truncated = false;
      for (const key of this.keys(bucket)) {
        if (!key.startsWith(prefix) || key <= after) continue;
        let entry: string = key;
        if (options.delimiter) {
          const cut = key.indexOf(options.delimiter, prefix.length);
          if (cut >= 0) entry = key.slice(0, cut + options.delimiter.length);
        }
        if (entry !== key && commonPrefixes.includes(entry)) continue;
        if (objects.length + commonPrefixes.length >= maxKeys) {
          truncated = true;
          break;
        }
        if (entry !== key) {
          commonPrefixes.push(entry);
          // Skip the rest of this common prefix: continue after its last possible key.
          last = entry + '\u{10FFFF}';
        } else {
          const obj = this.bucket(bucket).get(key)!;
          objects.push({ key, size: obj.body.length, lastModified: obj.lastModified, etag: obj.etag });
          last = key;
        }
      }
      return {
        objects,
        commonPrefixes,
        nextContinuationToken: truncated ? Buffer.from(last, 'utf8').toString('base64') : undefined,
      };
    });
  }

  async get(bucket: string, key: string): Promise<GetResult> {
    return this.run('get', bucket, key, undefined, async () => {
      const obj = this.bucket(bucket).get(key);
      if (!obj) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `s3://${bucket}/${key}: not found`);
      const fault = this.bodyFault?.(key, obj.body);
      const bytes = Buffer.isBuffer(fault) ? fault : obj.body;
      const cut = fault !== undefined && !Buffer.isBuffer(fault) ? fault.failAfter : undefined;
      const chunkSize = this.chunkSize;
      async function* chunks(): AsyncGenerator<Buffer> {
        for (let i = 0; i < bytes.length; i += chunkSize) {
          if (cut !== undefined && i >= cut) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
          yield bytes.subarray(i, i + chunkSize);
        }
      }
      return { body: Readable.from(chunks()), head: this.headOf(key, obj) };
    });
  }

  async put(bucket: string, key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    return this.run('put', bucket, key, options, async () => {
      const bytes = await readBody(body);
      if (options.expectedSha256 !== undefined && createHash('sha256').update(bytes).digest('hex') !== options.expectedSha256) {
        throw new DeltaGliderError('ERR_DG_SOURCE_CHANGED', `s3://${bucket}/${key}: body does not hash to the expected SHA-256`);
      }
      // The condition is evaluated at commit, after the body has arrived, as S3 does.
      const objects = this.bucket(bucket);
      if (options.ifNoneMatch && this.enforceIfNoneMatch && objects.has(key)) {
        throw new DeltaGliderError('ERR_DG_PRECONDITION_FAILED', `s3://${bucket}/${key}: already exists`);
      }
      const obj = this.stored(bytes, { ...(options.metadata ?? {}) }, options.contentType);
      objects.set(key, obj);
      options.onProgress?.(bytes.length);
      return { etag: obj.etag };
    });
  }

  async delete(bucket: string, key: string): Promise<void> {
    return this.run('delete', bucket, key, undefined, async () => {
      this.bucket(bucket).delete(key); // like S3: deleting a missing key succeeds
    });
  }

  async deleteMany(bucket: string, keys: string[]): Promise<DeleteManyResult> {
    return this.run('deleteMany', bucket, keys.join(','), undefined, async () => {
      for (const key of keys) this.bucket(bucket).delete(key);
      return { deleted: [...keys], errors: [] };
    });
  }

  async copy(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, options: CopyOptions = {}): Promise<void> {
    return this.run('copy', srcBucket, `${srcKey} -> ${dstKey}`, undefined, async () => {
      const obj = this.bucket(srcBucket).get(srcKey);
      if (!obj) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `s3://${srcBucket}/${srcKey}: not found`);
      this.bucket(dstBucket).set(dstKey, this.stored(obj.body, options.metadata ?? obj.metadata, options.contentType ?? obj.contentType));
    });
  }

  async listBuckets(): Promise<BucketInfo[]> {
    return [...this.buckets.keys()].map((name) => ({ name }));
  }

  async createBucket(bucket: string): Promise<void> {
    if (this.buckets.has(bucket)) throw new DeltaGliderError('ERR_DG_ALREADY_EXISTS', `bucket ${bucket} exists`);
    this.buckets.set(bucket, new Map());
  }

  async deleteBucket(bucket: string): Promise<void> {
    if (this.bucket(bucket).size > 0) throw new DeltaGliderError('ERR_DG_BUCKET_NOT_EMPTY', `bucket ${bucket} is not empty`);
    this.buckets.delete(bucket);
  }

  async bucketExists(bucket: string): Promise<boolean> {
    return this.buckets.has(bucket);
  }

  async presignGet(): Promise<string> {
    throw new DeltaGliderError('ERR_DG_NOT_IMPLEMENTED', 'memory storage has no URLs');
  }

  // ---- internals ----

  /** One operation: recorded, hooked before and after. */
  private async run<T>(op: StorageOp, bucket: string, key: string, options: PutOptions | undefined, fn: () => Promise<T>): Promise<T> {
    this.calls.push(`${op} ${key}`);
    await this.hook?.(op, bucket, key, options);
    try {
      return await fn();
    } finally {
      this.afterHook?.(op, bucket, key);
    }
  }

  private bucket(name: string): Map<string, StoredObject> {
    const b = this.buckets.get(name);
    if (!b) throw new DeltaGliderError('ERR_DG_BUCKET_NOT_FOUND', `no such bucket: ${name}`);
    return b;
  }

  private stored(body: Buffer, metadata: Metadata, contentType?: string): StoredObject {
    return {
      body: Buffer.from(body),
      metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k.toLowerCase(), v])),
      contentType,
      lastModified: new Date(Date.UTC(2026, 0, 1) + ++this.clock * 1000),
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
    };
  }

  private headOf(key: string, obj: StoredObject): ObjectHead {
    return {
      key, size: obj.body.length, lastModified: obj.lastModified, etag: obj.etag, contentType: obj.contentType,
      metadata: { ...obj.metadata },
    };
  }
}

async function readBody(body: PutBody): Promise<Buffer> {
  if ('buffer' in body) return Buffer.from(body.buffer);
  if ('file' in body) return readFile(body.file);
  const chunks: Buffer[] = [];
  for await (const chunk of body.stream as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
