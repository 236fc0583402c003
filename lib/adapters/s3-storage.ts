/**
 * StoragePort on any S3-compatible service, through @aws-sdk/client-s3. Large files are
 * uploaded in parts read straight from disk (`queueSize` parts in flight, one buffer each);
 * large or unsized streams go through @aws-sdk/lib-storage's Upload. Either way memory stays
 * bounded by about queueSize x partSize whatever the body size.
 */
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type BucketLocationConstraint,
  type CompletedPart,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DeltaGliderError } from '../errors';
import type {
  BucketInfo,
  CopyOptions,
  DeleteManyResult,
  GetResult,
  ListOptions,
  ListPage,
  ObjectHead,
  PutBody,
  PutOptions,
  PutResult,
  StoragePort,
} from '../ports/storage';
import { undoOnInterrupt } from '../interrupt';
import { resolveEndpoint } from './endpoint';
import { buildS3ClientConfig, resolveRegion, type S3ConnectionOptions } from './s3-client-config';
import { mapS3Error } from './s3-errors';
import { silenceSdkNodeVersionWarning } from './sdk-node-warning';

const MiB = 1024 * 1024;
/** S3's smallest allowed part (except the last). */
const MIN_PART_SIZE = 5 * MiB;
const DELETE_BATCH = 1000;
/** Keeps a CLI upload near 100 MiB RSS with 4 parts in flight (16 MiB parts: ~145 MiB). */
const DEFAULT_PART_SIZE = 8 * MiB;
/** S3's most parts per multipart upload: bigger files need bigger parts. */
const MAX_PARTS = 10_000;

export interface S3StorageOptions extends S3ConnectionOptions {
  /** Bodies larger than this (or of unknown size) use multipart upload. Default 16 MiB: smaller
   * bodies are read into memory once, so the SDK can resend them on a retry. */
  multipartThreshold?: number;
  /**
   * Multipart part size. Default 8 MiB, as the aws CLI (at least 5 MiB; raised for files
   * that would need more than 10,000 parts). queueSize parts are held in memory at once.
   */
  partSize?: number;
  /** Parts uploaded concurrently. Default 4. */
  queueSize?: number;
  /** Sources larger than this are copied part by part (UploadPartCopy). Default 5 GiB, S3's CopyObject limit. */
  multipartCopyThreshold?: number;
  /** Part size of such copies. Default 512 MiB. */
  copyPartSize?: number;
  /** Environment for endpoint/region defaults (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Use this client instead of building one (tests, custom middleware). Not destroyed by close(). */
  client?: S3Client;
}

export class S3Storage implements StoragePort {
  readonly description: string;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly multipartThreshold: number;
  private readonly partSize: number;
  private readonly queueSize: number;
  private readonly multipartCopyThreshold: number;
  private readonly copyPartSize: number;
  private readonly region: string;

  constructor(options: S3StorageOptions = {}) {
    silenceSdkNodeVersionWarning();
    const env = options.env ?? process.env;
    const endpoint = resolveEndpoint(options.endpointUrl, env);
    this.region = resolveRegion(options.region, env);
    this.client = options.client ?? new S3Client(buildS3ClientConfig(options, env));
    this.ownsClient = options.client === undefined;
    this.description = endpoint ? `s3 (${endpoint})` : `s3 (aws ${this.region})`;
    this.multipartThreshold = positive(options.multipartThreshold, 16 * MiB, 'multipartThreshold');
    this.partSize = Math.max(MIN_PART_SIZE, positive(options.partSize, DEFAULT_PART_SIZE, 'partSize'));
    this.queueSize = positive(options.queueSize, 4, 'queueSize');
    this.multipartCopyThreshold = positive(options.multipartCopyThreshold, 5 * 1024 * MiB, 'multipartCopyThreshold');
    this.copyPartSize = Math.max(MIN_PART_SIZE, positive(options.copyPartSize, 512 * MiB, 'copyPartSize'));
  }

  /** Close idle sockets so a CLI process can exit promptly. */
  close(): void {
    if (this.ownsClient) this.client.destroy();
  }

  async head(bucket: string, key: string): Promise<ObjectHead | null> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return objectHead(key, out);
    } catch (err) {
      const mapped = mapS3Error(err, `HEAD s3://${bucket}/${key}`);
      // HEAD has no body, so a missing bucket also looks like a plain 404 here.
      if (mapped.code === 'ERR_DG_NOT_FOUND') return null;
      throw mapped;
    }
  }

  async list(bucket: string, options: ListOptions = {}): Promise<ListPage> {
    try {
      const out = await this.client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: options.prefix || undefined,
          Delimiter: options.delimiter || undefined,
          ContinuationToken: options.continuationToken || undefined,
          StartAfter: options.startAfter || undefined,
          MaxKeys: options.maxKeys,
        }),
      );
      return {
        objects: (out.Contents ?? []).map((o) => ({
          key: o.Key ?? '',
          size: o.Size ?? 0,
          lastModified: o.LastModified,
          etag: o.ETag,
        })),
        commonPrefixes: (out.CommonPrefixes ?? []).map((p) => p.Prefix ?? '').filter((p) => p !== ''),
        nextContinuationToken: out.IsTruncated ? out.NextContinuationToken : undefined,
      };
    } catch (err) {
      throw mapS3Error(err, `LIST s3://${bucket}/${options.prefix ?? ''}`);
    }
  }

  async get(bucket: string, key: string): Promise<GetResult> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!(out.Body instanceof Readable)) {
        throw new DeltaGliderError('ERR_DG_STORAGE', `GET s3://${bucket}/${key} returned no readable body`);
      }
      return {
        body: out.Body,
        head: objectHead(key, out),
      };
    } catch (err) {
      throw mapS3Error(err, `GET s3://${bucket}/${key}`);
    }
  }

  async put(bucket: string, key: string, body: PutBody, options: PutOptions = {}): Promise<PutResult> {
    const params: PutObjectCommandInput = {
      Bucket: bucket,
      Key: key,
      Metadata: options.metadata,
      ContentType: options.contentType,
      ...(options.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
    };
    try {
      return await this.putBody(params, body, options.onProgress, options.expectedSha256);
    } catch (err) {
      throw mapS3Error(err, `PUT s3://${bucket}/${key}`);
    }
  }

  /**
   * Small bodies become one PutObject with a Buffer (which the SDK can resend on retry);
   * big or unsized ones a multipart Upload that reads the source only as parts finish.
   */
  private async putBody(
    params: PutObjectCommandInput,
    body: PutBody,
    onProgress?: (n: number) => void,
    expectedSha256?: string,
  ): Promise<PutResult> {
    const single = (data: Buffer): Promise<PutResult> => {
      if (expectedSha256 !== undefined) checkSha256(createHash('sha256').update(data), expectedSha256, body);
      return this.putSingle(params, data, onProgress);
    };
    if ('buffer' in body) {
      if (body.buffer.length <= this.multipartThreshold) return single(body.buffer);
      return this.putMultipart({ ...params, Body: verified(Readable.from([body.buffer]), expectedSha256, body), ContentLength: body.buffer.length }, onProgress);
    }
    if ('file' in body) {
      const { size } = await statFile(body.file);
      if (size <= this.multipartThreshold) return single(await readFile(body.file));
      return this.putFileMultipart(params, body.file, size, onProgress, expectedSha256);
    }
    const stream = toReadable(body.stream);
    if (body.size !== undefined && body.size <= this.multipartThreshold) {
      // At most `multipartThreshold` bytes, the same bound as queueSize parts in flight.
      return single(await readAll(stream, body.size));
    }
    return this.putMultipart({ ...params, Body: verified(stream, expectedSha256, body), ContentLength: body.size }, onProgress);
  }

  private async putSingle(params: PutObjectCommandInput, data: Buffer, onProgress?: (n: number) => void): Promise<PutResult> {
    onProgress?.(0);
    const out = await this.client.send(new PutObjectCommand({ ...params, Body: data, ContentLength: data.length }));
    onProgress?.(data.length);
    return { etag: out.ETag };
  }

  private async putMultipart(params: PutObjectCommandInput, onProgress?: (n: number) => void): Promise<PutResult> {
    const upload = new Upload({
      client: this.client,
      params,
      partSize: this.partSize,
      queueSize: this.queueSize,
      // Abort the multipart upload on failure so no orphaned parts keep costing money.
      leavePartsOnError: false,
    });
    if (onProgress) upload.on('httpUploadProgress', (p) => onProgress(p.loaded ?? 0));
    // An interrupted process aborts its multipart upload: its parts are billed until then.
    const forget = undoOnInterrupt(() => upload.abort());
    try {
      const out = await upload.done();
      return { etag: (out as { ETag?: string }).ETag };
    } finally {
      forget();
    }
  }

  /**
   * A file in parts read at their offsets, one reused buffer per worker: queueSize x
   * partSize bytes in all. (lib-storage's stream chunker holds about twice that: it
   * concatenates read chunks into each part and keeps the previous part alive meanwhile.)
   * If-None-Match goes on the completion, where S3 checks it for multipart uploads.
   * Parts are READ in order (one read at a time, sends overlap), so the bytes sent can be
   * hashed as one stream and checked against expectedSha256 before the upload completes.
   */
  private async putFileMultipart(
    params: PutObjectCommandInput,
    file: string,
    size: number,
    onProgress?: (n: number) => void,
    expectedSha256?: string,
  ): Promise<PutResult> {
    const { Bucket, Key } = params;
    const partSize = Math.max(this.partSize, Math.ceil(size / MAX_PARTS));
    const partCount = Math.ceil(size / partSize);
    const handle = await openFile(file);
    let uploadId: string | undefined;
    let forget: (() => void) | undefined;
    try {
      const created = await this.client.send(
        new CreateMultipartUploadCommand({ Bucket, Key, Metadata: params.Metadata, ContentType: params.ContentType }),
      );
      uploadId = created.UploadId;
      if (!uploadId) throw new DeltaGliderError('ERR_DG_STORAGE', `CreateMultipartUpload for ${Bucket}/${Key} returned no UploadId`);
      const id = uploadId;
      forget = undoOnInterrupt(() => this.abortMultipart(Bucket, Key, id));
      const parts: CompletedPart[] = new Array(partCount);
      const hash = expectedSha256 === undefined ? undefined : createHash('sha256');
      let next = 0;
      let sent = 0;
      let reading: Promise<void> = Promise.resolve();
      onProgress?.(0);
      // queueSize workers pull part numbers from one shared cursor; a worker reuses its buffer
      // only after its previous part's request (retries included) has completed. Reads are
      // chained in part order so the hash sees the bytes in file order.
      const worker = async (): Promise<void> => {
        const buffer = Buffer.allocUnsafe(Math.min(partSize, size));
        while (next < partCount) {
          const index = next++;
          const offset = index * partSize;
          const length = Math.min(partSize, size - offset);
          reading = reading.then(async () => {
            await readExactly(handle, buffer, length, offset, file);
            hash?.update(buffer.subarray(0, length));
          });
          await reading;
          const out = await this.client.send(
            new UploadPartCommand({ Bucket, Key, UploadId: uploadId, PartNumber: index + 1, Body: buffer.subarray(0, length), ContentLength: length }),
          );
          parts[index] = { PartNumber: index + 1, ETag: out.ETag };
          sent += length;
          onProgress?.(sent);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.queueSize, partCount) }, worker));
      if (hash) checkSha256(hash, expectedSha256 as string, { file });
      const done = await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket, Key, UploadId: uploadId, MultipartUpload: { Parts: parts }, IfNoneMatch: params.IfNoneMatch,
        }),
      );
      return { etag: done.ETag };
    } catch (err) {
      // Parts of an unfinished upload are billed until aborted.
      if (uploadId) await this.abortMultipart(Bucket, Key, uploadId);
      throw err;
    } finally {
      forget?.();
      await handle.close().catch(() => {});
    }
  }

  private async abortMultipart(Bucket: string | undefined, Key: string | undefined, UploadId: string): Promise<void> {
    await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {});
  }

  async delete(bucket: string, key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (err) {
      throw mapS3Error(err, `DELETE s3://${bucket}/${key}`);
    }
  }

  async deleteMany(bucket: string, keys: string[]): Promise<DeleteManyResult> {
    const result: DeleteManyResult = { deleted: [], errors: [] };
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH);
      try {
        const out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false } }),
        );
        for (const d of out.Deleted ?? []) if (d.Key !== undefined) result.deleted.push(d.Key);
        for (const e of out.Errors ?? []) {
          result.errors.push({ key: e.Key ?? '', code: e.Code ?? 'Unknown', message: e.Message ?? '' });
        }
      } catch (err) {
        // The whole request failed (e.g. missing bucket): report every key of the batch.
        const mapped = mapS3Error(err, `DELETE ${batch.length} objects in s3://${bucket}`);
        if (mapped.code === 'ERR_DG_BUCKET_NOT_FOUND' || mapped.code === 'ERR_DG_ACCESS_DENIED') throw mapped;
        for (const key of batch) result.errors.push({ key, code: mapped.code, message: mapped.message });
      }
    }
    return result;
  }

  /**
   * CopyObject (server side, one request) for sources up to 5 GiB; larger ones are copied
   * server side part by part with UploadPartCopy, which CopyObject cannot do.
   */
  async copy(srcBucket: string, srcKey: string, dstBucket: string, dstKey: string, options: CopyOptions = {}): Promise<void> {
    const what = `COPY s3://${srcBucket}/${srcKey} -> s3://${dstBucket}/${dstKey}`;
    const source = await this.head(srcBucket, srcKey);
    if (!source) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${what} failed: no such source object`);
    const copySource = `${srcBucket}/${encodeKey(srcKey)}`;
    try {
      if (source.size > this.multipartCopyThreshold) {
        await this.multipartCopy(copySource, source.size, dstBucket, dstKey, {
          // A multipart upload starts with no metadata: carry the source's over explicitly.
          metadata: options.metadata ?? source.metadata,
          contentType: options.contentType ?? source.contentType,
        });
        return;
      }
      const replace = options.metadata !== undefined || options.contentType !== undefined;
      await this.client.send(
        new CopyObjectCommand({
          Bucket: dstBucket,
          Key: dstKey,
          CopySource: copySource,
          // REPLACE resets every header; keep the source's content type unless told otherwise.
          ...(replace
            ? {
                MetadataDirective: 'REPLACE',
                Metadata: options.metadata ?? source.metadata,
                ContentType: options.contentType ?? source.contentType,
              }
            : {}),
        }),
      );
    } catch (err) {
      throw mapS3Error(err, what);
    }
  }

  private async multipartCopy(
    copySource: string,
    size: number,
    bucket: string,
    key: string,
    options: { metadata?: Record<string, string>; contentType?: string },
  ): Promise<void> {
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Metadata: options.metadata, ContentType: options.contentType }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new DeltaGliderError('ERR_DG_STORAGE', `CreateMultipartUpload for ${bucket}/${key} returned no UploadId`);
    try {
      const ranges: { partNumber: number; first: number; last: number }[] = [];
      for (let first = 0; first < size; first += this.copyPartSize) {
        ranges.push({ partNumber: ranges.length + 1, first, last: Math.min(size, first + this.copyPartSize) - 1 });
      }
      const parts: CompletedPart[] = new Array(ranges.length);
      let next = 0;
      // queueSize workers pull ranges from one shared cursor.
      const worker = async (): Promise<void> => {
        while (next < ranges.length) {
          const range = ranges[next++];
          const out = await this.client.send(
            new UploadPartCopyCommand({
              Bucket: bucket,
              Key: key,
              UploadId: uploadId,
              PartNumber: range.partNumber,
              CopySource: copySource,
              CopySourceRange: `bytes=${range.first}-${range.last}`,
            }),
          );
          parts[range.partNumber - 1] = { PartNumber: range.partNumber, ETag: out.CopyPartResult?.ETag };
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.queueSize, ranges.length) }, worker));
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (err) {
      // Parts of an unfinished upload are billed until aborted.
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {});
      throw err;
    }
  }

  async listBuckets(): Promise<BucketInfo[]> {
    try {
      const out = await this.client.send(new ListBucketsCommand({}));
      return (out.Buckets ?? []).map((b) => ({ name: b.Name ?? '', creationDate: b.CreationDate }));
    } catch (err) {
      throw mapS3Error(err, 'LIST BUCKETS');
    }
  }

  async createBucket(bucket: string): Promise<void> {
    try {
      // us-east-1 is the one region that must NOT be given as a location constraint.
      const configuration =
        this.region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } } : {};
      await this.client.send(new CreateBucketCommand({ Bucket: bucket, ...configuration }));
    } catch (err) {
      throw mapS3Error(err, `CREATE BUCKET s3://${bucket}`);
    }
  }

  async deleteBucket(bucket: string): Promise<void> {
    try {
      await this.client.send(new DeleteBucketCommand({ Bucket: bucket }));
    } catch (err) {
      throw mapS3Error(err, `DELETE BUCKET s3://${bucket}`);
    }
  }

  async bucketExists(bucket: string): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: bucket }));
      return true;
    } catch (err) {
      const mapped = mapS3Error(err, `HEAD BUCKET s3://${bucket}`);
      if (mapped.code === 'ERR_DG_NOT_FOUND' || mapped.code === 'ERR_DG_BUCKET_NOT_FOUND') return false;
      throw mapped;
    }
  }

  async presignGet(bucket: string, key: string, expiresInSeconds: number, options: { fileName?: string } = {}): Promise<string> {
    const disposition = options.fileName ? `attachment; filename="${options.fileName.replace(/["\\\r\n]/g, '_')}"` : undefined;
    try {
      return await getSignedUrl(
        this.client,
        new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentDisposition: disposition }),
        { expiresIn: expiresInSeconds },
      );
    } catch (err) {
      throw mapS3Error(err, `PRESIGN s3://${bucket}/${key}`);
    }
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `S3Storage option ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function lowercaseKeys(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** CopySource is "bucket/key" with the key URL-encoded, '/' kept. */
function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

function toReadable(stream: NodeJS.ReadableStream | Readable): Readable {
  return stream instanceof Readable ? stream : Readable.from(stream as AsyncIterable<Buffer>);
}

async function statFile(path: string): Promise<{ size: number }> {
  try {
    return await stat(path);
  } catch (err) {
    throw new DeltaGliderError('ERR_DG_IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

async function openFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw new DeltaGliderError('ERR_DG_IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/** Fill buffer[0, length) from the file at `offset`; a file that shrank meanwhile is an error. */
async function readExactly(handle: FileHandle, buffer: Buffer, length: number, offset: number, path: string): Promise<void> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled);
    if (bytesRead === 0) {
      throw new DeltaGliderError('ERR_DG_SOURCE_CHANGED', `${path} ended at ${offset + filled} bytes while being uploaded (it changed); nothing was stored`);
    }
    filled += bytesRead;
  }
}

/** Fail before anything is stored when the bytes sent are not the bytes hashed before. */
function checkSha256(hash: Hash, expected: string, body: PutBody): void {
  if (hash.digest('hex') === expected) return;
  const what = 'file' in body ? body.file : 'the upload body';
  throw new DeltaGliderError('ERR_DG_SOURCE_CHANGED', `${what}: the bytes sent differ from the bytes hashed before (it changed); nothing was stored`);
}

/**
 * A stream that errors at its end when its bytes do not hash to `expected`: lib-storage's
 * Upload then aborts instead of completing, so the object never appears.
 */
function verified(stream: Readable, expected: string | undefined, body: PutBody): Readable {
  if (expected === undefined) return stream;
  const hash = createHash('sha256');
  const check = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      try {
        checkSha256(hash, expected, body);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  stream.on('error', (err) => check.destroy(err));
  return stream.pipe(check);
}

/** Read a stream of declared size into one Buffer, refusing a stream longer than declared. */
async function readAll(stream: Readable, declared: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    total += buf.length;
    if (total > declared) {
      stream.destroy();
      throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `stream body is longer than its declared size ${declared}`);
    }
    chunks.push(buf);
  }
  if (total !== declared) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `stream body has ${total} bytes, declared size was ${declared}`);
  }
  return Buffer.concat(chunks, total);
}

/** The head fields HeadObject and GetObject answer alike. */
function objectHead(
  key: string,
  out: { ContentLength?: number; LastModified?: Date; ETag?: string; ContentType?: string; Metadata?: Record<string, string> },
): ObjectHead {
  return {
    key,
    size: out.ContentLength ?? 0,
    lastModified: out.LastModified,
    etag: out.ETag,
    contentType: out.ContentType,
    metadata: lowercaseKeys(out.Metadata),
  };
}
