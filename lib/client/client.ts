/**
 * DeltaGliderClient: the library face of DeltaGlider, shaped like S3Client from the AWS SDK
 * for JavaScript v3 so backend code can swap one for the other. The S3-shaped methods take
 * and return the SDK's own input/output types, on LOGICAL keys: a delta-stored object reads,
 * lists and heads as the original file (original size, SHA-256 verified on read). `send()`
 * accepts the SDK's command objects. The extras (upload, download, verify, stats, presigned
 * URLs, purge, batches) cover what S3Client has no word for.
 */
import type {
  CopyObjectCommandInput,
  CopyObjectCommandOutput,
  CreateBucketCommandInput,
  CreateBucketCommandOutput,
  DeleteBucketCommandInput,
  DeleteBucketCommandOutput,
  DeleteObjectCommandInput,
  DeleteObjectCommandOutput,
  DeleteObjectsCommandInput,
  DeleteObjectsCommandOutput,
  GetBucketAclCommandInput,
  GetBucketAclCommandOutput,
  GetObjectCommandInput,
  GetObjectCommandOutput,
  HeadBucketCommandInput,
  HeadBucketCommandOutput,
  HeadObjectCommandInput,
  HeadObjectCommandOutput,
  ListBucketsCommandInput,
  ListBucketsCommandOutput,
  ListObjectsV2CommandInput,
  ListObjectsV2CommandOutput,
  PutBucketAclCommandInput,
  PutBucketAclCommandOutput,
  PutObjectCommandInput,
  PutObjectCommandOutput,
} from '@aws-sdk/client-s3';

import { DeltaGliderError } from '../errors';
import type { BucketAclPort, CannedBucketAcl } from '../ports/bucket-acl';
import type { Clock } from '../ports/clock';
import type { StoragePort } from '../ports/storage';
import { baseName } from '../core/keys';
import { isDeltaGliderMetadataKey } from '../core/metadata';
import { mapLimit } from '../core/concurrency';
import { purgeExpired, type PurgeResult } from '../core/purge';
import { presignDownload, rehydrateForDownload, type RehydrateResult } from '../core/rehydrate';
import { computeBucketStats, type BucketStats, type StatsMode } from '../core/stats';
import { groupByDeltaspace } from '../core/sync-plan';
import type {
  DeltaServiceApi,
  LogicalObject,
  ServiceGetResult,
  ServicePutOptions,
  ServicePutResult,
  ServiceVerifyOptions,
  VerifyResult,
} from '../core/types';
import type { DeltaGliderClientOptions } from './options';
import { parseByteRange, sliceStream } from './byte-range';
import { parseClientS3Url, parseObjectUrl } from './s3-url';
import { asSdkOutputBody, toReadable } from './sdk-body';
import { notImplemented, toSdkError } from './sdk-errors';
import { buildClientParts, type ClientParts } from './wiring';

/** PutObject's output plus what DeltaGlider did with the object. */
export type DeltaGliderPutObjectOutput = PutObjectCommandOutput & { DeltaGlider: ServicePutResult };

export interface UploadOptions extends Omit<ServicePutOptions, 'onProgress'> {
  onProgress?: ServicePutOptions['onProgress'];
}

export interface BatchOptions {
  /** Transfers in flight (default 4). */
  concurrency?: number;
}

export type BatchOutcome<R> = { ok: true; value: R } | { ok: false; error: Error };

const OK = { $metadata: { httpStatusCode: 200 } } as const;

export class DeltaGliderClient {
  /** The store behind the client (S3 or a local directory). */
  readonly storage: StoragePort;
  /** The DeltaService doing the work. */
  readonly service: DeltaServiceApi;
  private readonly parts: ClientParts;

  constructor(options: DeltaGliderClientOptions = {}) {
    this.parts = buildClientParts(options);
    this.storage = this.parts.storage;
    this.service = this.parts.service;
  }

  private get clock(): Clock {
    return this.parts.clock;
  }

  // ---- objects ---------------------------------------------------------------------------

  async putObject(input: PutObjectCommandInput): Promise<DeltaGliderPutObjectOutput> {
    return sdkCall(async () => {
      const { bucket, key } = requireObject(input, 'PutObject');
      const body = toReadable(input.Body, `PutObject s3://${bucket}/${key}`);
      const result = await this.service.put(body, bucket, key, {
        contentType: input.ContentType,
        metadata: input.Metadata,
      });
      return {
        ...OK,
        ChecksumSHA256: hexToBase64(result.sha256),
        ChecksumType: 'FULL_OBJECT',
        Size: result.originalSize,
        DeltaGlider: result,
      };
    });
  }

  async getObject(input: GetObjectCommandInput): Promise<GetObjectCommandOutput> {
    return sdkCall(async () => {
      const { bucket, key } = requireObject(input, 'GetObject');
      const { body, object } = await this.service.openRead(bucket, key);
      if (!input.Range) return { ...OK, ...objectHeaders(object), Body: asSdkOutputBody(body) };
      let range;
      try {
        range = parseByteRange(input.Range, object.size);
      } catch (err) {
        body.destroy();
        throw err;
      }
      return {
        $metadata: { httpStatusCode: 206 },
        ...objectHeaders(object),
        ContentLength: range.end - range.start + 1,
        ContentRange: `bytes ${range.start}-${range.end}/${object.size}`,
        // The checksum is of the whole object, not of the range.
        ChecksumSHA256: undefined,
        Body: asSdkOutputBody(sliceStream(body, range)),
      };
    });
  }

  async headObject(input: HeadObjectCommandInput): Promise<HeadObjectCommandOutput> {
    return sdkCall(async () => {
      const { bucket, key } = requireObject(input, 'HeadObject');
      const object = await this.service.head(bucket, key);
      if (!object) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `s3://${bucket}/${key} does not exist`);
      return { ...OK, ...objectHeaders(object) };
    }, 'NotFound');
  }

  async listObjectsV2(input: ListObjectsV2CommandInput): Promise<ListObjectsV2CommandOutput> {
    return sdkCall(async () => {
      const bucket = requireBucket(input.Bucket, 'ListObjectsV2');
      const maxKeys = input.MaxKeys ?? 1000;
      const page = await this.service.list(bucket, {
        prefix: input.Prefix || undefined,
        delimiter: input.Delimiter || undefined,
        continuationToken: input.ContinuationToken || undefined,
        maxKeys,
      });
      const after = input.StartAfter;
      const objects = after ? page.objects.filter((o) => o.key > after) : page.objects;
      const prefixes = after ? page.commonPrefixes.filter((p) => p > after) : page.commonPrefixes;
      return {
        ...OK,
        Name: bucket,
        Prefix: input.Prefix ?? '',
        Delimiter: input.Delimiter,
        MaxKeys: maxKeys,
        ContinuationToken: input.ContinuationToken,
        StartAfter: input.StartAfter,
        Contents: objects.map((o) => ({
          Key: o.key,
          Size: o.size,
          LastModified: o.lastModified,
          ETag: o.etag,
          StorageClass: 'STANDARD',
        })),
        CommonPrefixes: prefixes.map((Prefix) => ({ Prefix })),
        KeyCount: objects.length + prefixes.length,
        IsTruncated: page.nextContinuationToken !== undefined,
        NextContinuationToken: page.nextContinuationToken,
      };
    });
  }

  async deleteObject(input: DeleteObjectCommandInput): Promise<DeleteObjectCommandOutput> {
    return sdkCall(async () => {
      const { bucket, key } = requireObject(input, 'DeleteObject');
      await this.service.delete(bucket, key);
      return { ...OK, $metadata: { httpStatusCode: 204 } };
    });
  }

  /** Deletions in one deltaspace run one after another, so references go exactly when unneeded. */
  async deleteObjects(input: DeleteObjectsCommandInput): Promise<DeleteObjectsCommandOutput> {
    return sdkCall(async () => {
      const bucket = requireBucket(input.Bucket, 'DeleteObjects');
      const keys = (input.Delete?.Objects ?? []).map((o) => o.Key).filter((k): k is string => typeof k === 'string' && k !== '');
      if (keys.length > 1000) throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', 'DeleteObjects takes at most 1000 keys');
      const deleted: { Key: string }[] = [];
      const errors: { Key: string; Code: string; Message: string }[] = [];
      await mapLimit(groupByDeltaspace(keys, (k) => k), 8, async (group) => {
        for (const key of group) {
          try {
            await this.service.delete(bucket, key);
            deleted.push({ Key: key });
          } catch (err) {
            const e = toSdkError(err) as Error;
            errors.push({ Key: key, Code: e.name, Message: e.message });
          }
        }
      });
      return {
        ...OK,
        Deleted: input.Delete?.Quiet ? undefined : deleted,
        Errors: errors.length > 0 ? errors : undefined,
      };
    });
  }

  /** Copies through a rebuild: the copy is stored against the destination deltaspace's reference. */
  async copyObject(input: CopyObjectCommandInput): Promise<CopyObjectCommandOutput> {
    return sdkCall(async () => {
      const { bucket, key } = requireObject(input, 'CopyObject');
      const source = parseCopySource(input.CopySource);
      const { body, object } = await this.service.openRead(source.bucket, source.key);
      const replace = input.MetadataDirective === 'REPLACE';
      const result = await this.service.put(body, bucket, key, {
        contentType: replace ? input.ContentType : object.contentType,
        metadata: replace ? input.Metadata : userMetadataOf(object),
      });
      return {
        ...OK,
        CopyObjectResult: { ChecksumSHA256: hexToBase64(result.sha256), LastModified: this.clock.now() },
      };
    });
  }

  // ---- buckets ---------------------------------------------------------------------------

  async createBucket(input: CreateBucketCommandInput): Promise<CreateBucketCommandOutput> {
    return sdkCall(async () => {
      const bucket = requireBucket(input.Bucket, 'CreateBucket');
      await this.storage.createBucket(bucket);
      return { ...OK, Location: `/${bucket}` };
    });
  }

  async deleteBucket(input: DeleteBucketCommandInput): Promise<DeleteBucketCommandOutput> {
    return sdkCall(async () => {
      await this.storage.deleteBucket(requireBucket(input.Bucket, 'DeleteBucket'));
      return { ...OK, $metadata: { httpStatusCode: 204 } };
    });
  }

  async headBucket(input: HeadBucketCommandInput): Promise<HeadBucketCommandOutput> {
    return sdkCall(async () => {
      const bucket = requireBucket(input.Bucket, 'HeadBucket');
      if (!(await this.storage.bucketExists(bucket))) {
        throw new DeltaGliderError('ERR_DG_BUCKET_NOT_FOUND', `bucket ${bucket} does not exist`);
      }
      return { ...OK };
    }, 'NotFound');
  }

  async listBuckets(_input: ListBucketsCommandInput = {}): Promise<ListBucketsCommandOutput> {
    return sdkCall(async () => {
      const buckets = await this.storage.listBuckets();
      return { ...OK, Buckets: buckets.map((b) => ({ Name: b.name, CreationDate: b.creationDate })) };
    });
  }

  async putBucketAcl(input: PutBucketAclCommandInput): Promise<PutBucketAclCommandOutput> {
    return sdkCall(async () => {
      await this.acl().putBucketAcl({
        bucket: requireBucket(input.Bucket, 'PutBucketAcl'),
        acl: input.ACL as CannedBucketAcl | undefined,
        grantRead: input.GrantRead,
        grantWrite: input.GrantWrite,
        grantReadAcp: input.GrantReadACP,
        grantWriteAcp: input.GrantWriteACP,
        grantFullControl: input.GrantFullControl,
        accessControlPolicy: input.AccessControlPolicy as Parameters<BucketAclPort['putBucketAcl']>[0]['accessControlPolicy'],
      });
      return { ...OK };
    });
  }

  async getBucketAcl(input: GetBucketAclCommandInput): Promise<GetBucketAclCommandOutput> {
    return sdkCall(async () => {
      const policy = await this.acl().getBucketAcl(requireBucket(input.Bucket, 'GetBucketAcl'));
      return { ...OK, Owner: policy.Owner, Grants: policy.Grants };
    });
  }

  private acl(): BucketAclPort {
    if (!this.parts.bucketAcl) {
      throw new DeltaGliderError('ERR_DG_NOT_IMPLEMENTED', `bucket ACLs are not supported by ${this.storage.description}`);
    }
    return this.parts.bucketAcl;
  }

  // ---- DeltaGlider extras ---------------------------------------------------------------

  /** Upload a local file; `s3Url` ending in '/' keeps the file's name. */
  async upload(file: string, s3Url: string, options: UploadOptions = {}): Promise<ServicePutResult> {
    const { bucket, key } = parseClientS3Url(s3Url);
    const target = key === '' || key.endsWith('/') ? key + baseName(file.replace(/\\/g, '/')) : key;
    return this.service.put(file, bucket, target, options);
  }

  /** Download to a local file; it appears only once its SHA-256 has been checked. */
  async download(s3Url: string, file: string): Promise<ServiceGetResult> {
    const { bucket, key } = parseObjectUrl(s3Url);
    return this.service.get(bucket, key, file);
  }

  /** Rebuild an object and check it, and the reference it needs as stored in the bucket (`deep`: its bytes too). */
  async verify(s3Url: string, options?: ServiceVerifyOptions): Promise<VerifyResult> {
    const { bucket, key } = parseObjectUrl(s3Url);
    return this.service.verify(bucket, key, options);
  }

  async getBucketStats(bucket: string, options: { mode?: StatsMode; useCache?: boolean; refresh?: boolean } = {}): Promise<BucketStats> {
    const { stats } = await computeBucketStats(this.storage, bucket, { ...options, clock: this.clock, logger: this.parts.logger });
    return stats;
  }

  /** Rebuild a delta object into a temporary full copy (direct objects are returned as they are). */
  async rehydrateForDownload(s3Url: string, options: { expiresIn?: number } = {}): Promise<RehydrateResult> {
    const { bucket, key } = parseObjectUrl(s3Url);
    return rehydrateForDownload(this.storage, this.service, bucket, key, {
      expiresInSeconds: options.expiresIn ?? 3600,
      clock: this.clock,
      tempDir: this.parts.tempDir,
    });
  }

  /** A presigned GET URL that downloads the original bytes under the original file name. */
  async generatePresignedUrl(s3Url: string, options: { expiresIn?: number } = {}): Promise<string> {
    const { bucket, key } = parseObjectUrl(s3Url);
    const presigned = await presignDownload(this.storage, this.service, bucket, key, {
      expiresInSeconds: options.expiresIn ?? 3600,
      clock: this.clock,
      tempDir: this.parts.tempDir,
    });
    return presigned.url;
  }

  /** Delete rehydrated copies whose time is up. */
  async purgeTempFiles(bucket: string, options: { dryRun?: boolean } = {}): Promise<PurgeResult> {
    return purgeExpired(this.storage, bucket, { clock: this.clock, dryRun: options.dryRun });
  }

  /** Many uploads with bounded concurrency; one failure does not stop the others. */
  async uploadBatch(
    items: readonly { file: string; s3Url: string; options?: UploadOptions }[],
    options: BatchOptions = {},
  ): Promise<BatchOutcome<ServicePutResult>[]> {
    return mapLimit(items, options.concurrency ?? 4, (item) => settle(this.upload(item.file, item.s3Url, item.options)));
  }

  async downloadBatch(items: readonly { s3Url: string; file: string }[], options: BatchOptions = {}): Promise<BatchOutcome<ServiceGetResult>[]> {
    return mapLimit(items, options.concurrency ?? 4, (item) => settle(this.download(item.s3Url, item.file)));
  }

  /** Drop every cached reference (they are fetched again when needed). */
  async clearCache(): Promise<void> {
    await this.parts.referenceCache?.clear();
  }

  /** Flush metrics and release sockets (S3Client has destroy() too). */
  async close(): Promise<void> {
    await this.parts.close();
  }

  destroy(): void {
    void this.parts.close();
  }

  // ---- send(command) --------------------------------------------------------------------

  send(command: import('@aws-sdk/client-s3').PutObjectCommand): Promise<DeltaGliderPutObjectOutput>;
  send(command: import('@aws-sdk/client-s3').GetObjectCommand): Promise<GetObjectCommandOutput>;
  send(command: import('@aws-sdk/client-s3').HeadObjectCommand): Promise<HeadObjectCommandOutput>;
  send(command: import('@aws-sdk/client-s3').ListObjectsV2Command): Promise<ListObjectsV2CommandOutput>;
  send(command: import('@aws-sdk/client-s3').DeleteObjectCommand): Promise<DeleteObjectCommandOutput>;
  send(command: import('@aws-sdk/client-s3').DeleteObjectsCommand): Promise<DeleteObjectsCommandOutput>;
  send(command: import('@aws-sdk/client-s3').CopyObjectCommand): Promise<CopyObjectCommandOutput>;
  send(command: import('@aws-sdk/client-s3').CreateBucketCommand): Promise<CreateBucketCommandOutput>;
  send(command: import('@aws-sdk/client-s3').DeleteBucketCommand): Promise<DeleteBucketCommandOutput>;
  send(command: import('@aws-sdk/client-s3').HeadBucketCommand): Promise<HeadBucketCommandOutput>;
  send(command: import('@aws-sdk/client-s3').ListBucketsCommand): Promise<ListBucketsCommandOutput>;
  send(command: import('@aws-sdk/client-s3').PutBucketAclCommand): Promise<PutBucketAclCommandOutput>;
  send(command: import('@aws-sdk/client-s3').GetBucketAclCommand): Promise<GetBucketAclCommandOutput>;
  send(command: { input: object }): Promise<unknown>;
  async send(command: { input: object }): Promise<unknown> {
    const name = (command as object)?.constructor?.name ?? typeof command;
    const handler = COMMANDS[name];
    if (!handler) throw toSdkError(notImplemented(`${name} (send)`));
    return handler(this, command.input as never);
  }
}

type Handler = (client: DeltaGliderClient, input: never) => Promise<unknown>;

/** SDK command class name -> method. By name, so a second copy of the SDK in node_modules still matches. */
const COMMANDS: Record<string, Handler> = {
  PutObjectCommand: (c, i: PutObjectCommandInput) => c.putObject(i),
  GetObjectCommand: (c, i: GetObjectCommandInput) => c.getObject(i),
  HeadObjectCommand: (c, i: HeadObjectCommandInput) => c.headObject(i),
  ListObjectsV2Command: (c, i: ListObjectsV2CommandInput) => c.listObjectsV2(i),
  DeleteObjectCommand: (c, i: DeleteObjectCommandInput) => c.deleteObject(i),
  DeleteObjectsCommand: (c, i: DeleteObjectsCommandInput) => c.deleteObjects(i),
  CopyObjectCommand: (c, i: CopyObjectCommandInput) => c.copyObject(i),
  CreateBucketCommand: (c, i: CreateBucketCommandInput) => c.createBucket(i),
  DeleteBucketCommand: (c, i: DeleteBucketCommandInput) => c.deleteBucket(i),
  HeadBucketCommand: (c, i: HeadBucketCommandInput) => c.headBucket(i),
  ListBucketsCommand: (c, i: ListBucketsCommandInput) => c.listBuckets(i),
  PutBucketAclCommand: (c, i: PutBucketAclCommandInput) => c.putBucketAcl(i),
  GetBucketAclCommand: (c, i: GetBucketAclCommandInput) => c.getBucketAcl(i),
};

// ---- helpers ----------------------------------------------------------------------------

async function sdkCall<T>(run: () => Promise<T>, notFoundName?: string): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toSdkError(err, notFoundName);
  }
}

function requireBucket(bucket: string | undefined, operation: string): string {
  if (!bucket) throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${operation}: Bucket is required`);
  return bucket;
}

function requireObject(input: { Bucket?: string; Key?: string }, operation: string): { bucket: string; key: string } {
  const bucket = requireBucket(input.Bucket, operation);
  if (!input.Key) throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${operation}: Key is required`);
  return { bucket, key: input.Key };
}

/** `bucket/key`, `/bucket/key`, URL-encoded, maybe with `?versionId=` (versions are not supported). */
function parseCopySource(copySource: string | undefined): { bucket: string; key: string } {
  if (!copySource) throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', 'CopyObject: CopySource is required');
  const [path, query] = copySource.replace(/^\//, '').split('?', 2);
  if (query && /(^|&)versionId=/.test(query)) throw notImplemented('CopyObject from a versionId');
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `CopyObject: CopySource must be "bucket/key", got "${copySource}"`);
  }
  return { bucket: path.slice(0, slash), key: decodeURIComponent(path.slice(slash + 1)) };
}

/** The headers GET and HEAD share, for a logical object. */
function objectHeaders(object: LogicalObject): Omit<HeadObjectCommandOutput, '$metadata'> {
  return {
    ContentLength: object.size,
    ContentType: object.contentType,
    LastModified: object.lastModified,
    ETag: object.etag,
    ChecksumSHA256: object.sha256 ? hexToBase64(object.sha256) : undefined,
    Metadata: userMetadataOf(object),
  };
}

/** User metadata without DeltaGlider's own `dg-*` fields (S3Client callers never wrote those). */
function userMetadataOf(object: LogicalObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(object.metadata ?? {})) {
    if (!isDeltaGliderMetadataKey(name)) out[name] = value;
  }
  return out;
}

function hexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

async function settle<R>(promise: Promise<R>): Promise<BatchOutcome<R>> {
  try {
    return { ok: true, value: await promise };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
  }
}
