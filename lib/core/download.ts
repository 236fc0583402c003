/**
 * get / openRead / verify: rebuild the original bytes of a logical key. Direct objects are
 * streamed as they are (SHA-256 checked when the metadata has it); deltas are streamed
 * through the decoder with the cached reference, and their SHA-256 must equal
 * dg-file-sha256. A zero-diff delta (dg-ref-sha256 == dg-file-sha256: the object IS its
 * deltaspace's reference) is not decoded: the cached reference, whose SHA-256 the cache has
 * just checked, is copied or streamed as is, so memory stays flat whatever its size.
 * A download lands in a temp file beside the destination and is renamed into place only
 * after the check, so nothing corrupt is ever left under the requested name.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { finished, PassThrough, pipeline as pipelineCallback, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

import { DeltaGliderError, isDeltaGliderError, type DeltaGliderErrorCode } from '../errors';
import type { CodecStream } from '../codec/types';
import type { CachedReference } from '../ports/reference-cache';
import { METRIC, type ServiceContext } from './context';
import { HashingStream, sha256Mismatch } from './hashing';
import { deltaspaceOf, referenceKeyOf, s3Url } from './keys';
import { type Located, locateOrThrow, toLogicalObject } from './lookup';
import { type DeltaMetadata, FIELD, isDeltaGliderMetadataKey, parseDeltaMetadata, parseDirectMetadata, readSha256 } from './metadata';
import type { Metadata } from '../ports/storage';
import { tempFileBeside, type TempFile } from './temp-files';
import type { LogicalObject, ServiceGetOptions, ServiceGetResult, ServiceVerifyOptions, VerifyResult } from './types';

/** Read size of a cached reference served as is: few calls, still flat memory. */
const COPY_CHUNK = 1024 * 1024;

/** An open stream of original bytes and, once it has ended, what it produced. */
interface OriginalStream {
  body: Readable;
  /** SHA-256 the metadata promises (undefined for direct objects without dg metadata). */
  expectedSha256: string | undefined;
  /** Size of the original bytes, when known up front (for progress). */
  size: number | undefined;
  /** SHA-256 and size of what flowed, after the body ended. */
  outcome(): { sha256: string; size: number } | undefined;
}

/**
 * Open the original bytes of a located object. With `enforce`, the body errors at its end
 * (ERR_DG_SHA256_MISMATCH) when the bytes differ from the metadata's SHA-256. With
 * `decodeZeroDiff`, a zero-diff delta is decoded too rather than served from the reference
 * (only verify wants that: the bytes are the same, but the stored delta is what other
 * tools read).
 */
async function openOriginal(
  ctx: ServiceContext,
  bucket: string,
  located: Located,
  enforce: boolean,
  decodeZeroDiff = false,
): Promise<OriginalStream> {
  const where = s3Url(bucket, located.storedKey);
  if (located.kind === 'direct') {
    const expected = directSha256(located.head.metadata, where);
    const got = await ctx.storage.get(bucket, located.storedKey);
    const hasher = new HashingStream(enforce ? expected : undefined, where);
    forward(got.body, hasher, where);
    return {
      body: hasher,
      expectedSha256: expected,
      size: located.head.size,
      outcome: () => (hasher.sha256 === undefined ? undefined : { sha256: hasher.sha256, size: hasher.size }),
    };
  }

  const meta = parseDeltaMetadata(located.head.metadata, where);
  const reference = await fetchReference(ctx, bucket, located, meta);
  if (isZeroDiff(meta) && !decodeZeroDiff) return openCachedReference(reference, meta, where);
  let decoder: CodecStream;
  try {
    const got = await ctx.storage.get(bucket, located.storedKey);
    decoder = ctx.codec.createDecodeStream({
      reference: reference.path,
      expectedSha256: enforce ? meta.fileSha256 : undefined,
    });
    forward(got.body, decoder, where);
  } catch (err) {
    await reference.release();
    throw err;
  }
  // The decoder reads the reference file until it is done; release it only then.
  const out = new PassThrough();
  const started = Date.now();
  decoder.on('error', (err) => out.destroy(locatedError(where, err)));
  finished(decoder, (err) => {
    if (!err) ctx.metrics.timing(METRIC.decodeTime, Date.now() - started);
    reference.release().catch(() => undefined);
  });
  pipelineCallback(decoder, out, () => undefined);
  return {
    body: out,
    expectedSha256: meta.fileSha256,
    size: meta.fileSize,
    outcome: () => (decoder.result ? { sha256: decoder.result.sha256, size: decoder.result.size } : undefined),
  };
}

/**
 * The SHA-256 a direct object must hash to. Objects with no DeltaGlider metadata at all are
 * plain S3 objects (written by other tools) and are served as they are; one that carries
 * `dg-*` metadata but no dg-file-sha256 is refused rather than served unchecked.
 */
function directSha256(metadata: Metadata, where: string): string | undefined {
  const expected = parseDirectMetadata(metadata, where).fileSha256;
  if (expected === undefined && Object.keys(metadata).some(isDeltaGliderMetadataKey)) {
    throw new DeltaGliderError('ERR_DG_BAD_METADATA', `${where}: has DeltaGlider metadata but no dg-file-sha256; refusing to serve it unchecked`);
  }
  return expected;
}

/** The cached, SHA-256-checked reference a delta was made against. Release it when done. */
function fetchReference(ctx: ServiceContext, bucket: string, located: Located, meta: DeltaMetadata): Promise<CachedReference> {
  const refKey = meta.refKey ?? referenceKeyOf(deltaspaceOf(located.storedKey));
  return ctx.references.fetch(bucket, refKey, meta.refSha256);
}

/**
 * The delta of a file against itself, stored beside a new reference: the original bytes
 * are the reference's, so equal SHA-256s prove it whatever the delta holds.
 */
function isZeroDiff(meta: DeltaMetadata): boolean {
  return meta.fileSha256 === meta.refSha256;
}

/** The metadata of a located zero-diff delta; undefined for anything else. */
function zeroDiffMetadata(bucket: string, located: Located): DeltaMetadata | undefined {
  if (located.kind !== 'delta') return undefined;
  const meta = parseDeltaMetadata(located.head.metadata, s3Url(bucket, located.storedKey));
  return isZeroDiff(meta) ? meta : undefined;
}

/**
 * Stream the cached reference as the original bytes, hashing exactly what is served: the
 * stream fails at its end if the file changed after the cache checked it. The reference
 * is released once the stream is done.
 */
function openCachedReference(reference: CachedReference, meta: DeltaMetadata, where: string): OriginalStream {
  const hasher = new HashingStream(meta.fileSha256, `${where} (cached reference)`);
  finished(hasher, () => reference.release().catch(() => undefined));
  forward(createReadStream(reference.path, { highWaterMark: COPY_CHUNK }), hasher, where);
  return {
    body: hasher,
    expectedSha256: meta.fileSha256,
    size: reference.size,
    outcome: () => (hasher.sha256 === undefined ? undefined : { sha256: hasher.sha256, size: hasher.size }),
  };
}

/**
 * Pipe a storage body into a transform; a failing body fails the transform with an error
 * naming the object. pipeline() rather than pipe(): pipe() re-emits a destination's error
 * when nobody listens any more, which would crash the process after a handled failure.
 */
function forward(body: Readable, into: Transform, where: string): void {
  body.on('error', (err) => into.destroy(locatedError(where, err)));
  pipelineCallback(body, into, () => undefined); // errors surface on `into`, where the reader listens
}

/** Give codec and stream errors the object's URL (their own messages do not name it). */
function locatedError(where: string, err: unknown): Error {
  if (isDeltaGliderError(err)) {
    if (err.message.includes(where)) return err;
    return new DeltaGliderError(err.code, `${where}: ${err.message}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

export async function downloadToFile(
  ctx: ServiceContext,
  bucket: string,
  key: string,
  destinationPath: string,
  options: ServiceGetOptions = {},
): Promise<ServiceGetResult> {
  const located = await locateOrThrow(ctx.storage, bucket, key);
  const where = s3Url(bucket, located.storedKey);
  for (let attempt = 1; ; attempt++) {
    try {
      return await downloadOnce(ctx, bucket, key, located, destinationPath, options);
    } catch (err) {
      if (attempt >= DOWNLOAD_ATTEMPTS || !mayPassOnRetry(err)) throw finalError(err, attempt, where, destinationPath);
      ctx.logger.info('download failed; trying again', { key: where, attempt, error: String(err) });
      await sleep(100 * 2 ** (attempt - 1));
    }
  }
}

/** Downloads that ended short or rebuilt wrong are tried this many times in all. */
const DOWNLOAD_ATTEMPTS = 3;

/**
 * Failures a second GET may not repeat: a body cut short or reset, bytes damaged on the way
 * (they then fail the SHA-256 or the delta's own checks). Local write errors are not here.
 */
function mayPassOnRetry(err: unknown): boolean {
  if (isDeltaGliderError(err)) return RETRYABLE_CODES.has(err.code);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && NETWORK_CODES.has(code);
}

const RETRYABLE_CODES: ReadonlySet<DeltaGliderErrorCode> = new Set([
  'ERR_DG_SHA256_MISMATCH', 'ERR_DG_CORRUPT_DELTA', 'ERR_DG_CHECKSUM', 'ERR_DG_STORAGE',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/** The error to report, saying which side is wrong when every attempt failed the same way. */
function finalError(err: unknown, attempts: number, where: string, destinationPath: string): DeltaGliderError {
  if (isDeltaGliderError(err)) {
    if (attempts > 1 && (err.code === 'ERR_DG_SHA256_MISMATCH' || err.code === 'ERR_DG_CORRUPT_DELTA' || err.code === 'ERR_DG_CHECKSUM')) {
      return new DeltaGliderError(err.code, `${err.message} (the same on ${attempts} downloads: the stored object is damaged)`, { cause: err });
    }
    return err;
  }
  if (mayPassOnRetry(err)) {
    return new DeltaGliderError('ERR_DG_STORAGE', `${where}: transfer failed ${attempts} times: ${(err as Error).message}`, { cause: err });
  }
  return new DeltaGliderError('ERR_DG_IO', `${destinationPath}: ${(err as Error).message}`, { cause: err });
}

async function downloadOnce(
  ctx: ServiceContext,
  bucket: string,
  key: string,
  located: Located,
  destinationPath: string,
  options: ServiceGetOptions,
): Promise<ServiceGetResult> {
  const zeroDiff = zeroDiffMetadata(bucket, located);
  if (zeroDiff) return copyCachedReference(ctx, bucket, key, located, zeroDiff, destinationPath, options);
  const opened = await openOriginal(ctx, bucket, located, true);
  let temp: TempFile | undefined;
  try {
    temp = await tempFileBeside(destinationPath);
    await pipeline(opened.body, progressCounter(options.onProgress, opened.size), createWriteStream(temp.path));
    const outcome = opened.outcome();
    if (!outcome) throw new DeltaGliderError('ERR_DG_INTERNAL', `${s3Url(bucket, located.storedKey)}: stream ended without a result`);
    // The streams already enforce this; checking again costs nothing and guards the rename.
    if (opened.expectedSha256 !== undefined && outcome.sha256 !== opened.expectedSha256) {
      throw sha256Mismatch(s3Url(bucket, located.storedKey), opened.expectedSha256, outcome.sha256);
    }
    await temp.commit();
    ctx.metrics.increment(METRIC.download, 1, { kind: located.kind });
    return { bucket, key, kind: located.kind, sha256: outcome.sha256, size: outcome.size };
  } catch (err) {
    opened.body.destroy();
    await temp?.discard();
    throw err;
  }
}

/**
 * Download a zero-diff object: a copy of the cached reference, streamed a chunk at a time
 * and hashed as it is copied, so the bytes renamed into place are the bytes checked.
 */
async function copyCachedReference(
  ctx: ServiceContext,
  bucket: string,
  key: string,
  located: Located,
  meta: DeltaMetadata,
  destinationPath: string,
  options: ServiceGetOptions,
): Promise<ServiceGetResult> {
  const reference = await fetchReference(ctx, bucket, located, meta);
  let temp: TempFile | undefined;
  try {
    temp = await tempFileBeside(destinationPath);
    const hasher = new HashingStream(meta.fileSha256, `${s3Url(bucket, located.storedKey)} (cached reference)`);
    // A streamed copy, not copyFile(): copyFile would give the copy the cache file's 0600
    // mode, where every other download gets the usual mode the umask allows.
    await pipeline(createReadStream(reference.path, { highWaterMark: COPY_CHUNK }), hasher, progressCounter(options.onProgress, reference.size), createWriteStream(temp.path));
    await temp.commit();
    ctx.metrics.increment(METRIC.download, 1, { kind: located.kind });
    return { bucket, key, kind: located.kind, sha256: meta.fileSha256, size: hasher.size };
  } catch (err) {
    await temp?.discard();
    throw err;
  } finally {
    await reference.release();
  }
}

export async function openReadStream(
  ctx: ServiceContext,
  bucket: string,
  key: string,
): Promise<{ body: Readable; object: LogicalObject }> {
  const located = await locateOrThrow(ctx.storage, bucket, key);
  const object = toLogicalObject(bucket, located);
  const opened = await openOriginal(ctx, bucket, located, true);
  ctx.metrics.increment(METRIC.download, 1, { kind: located.kind });
  return { body: opened.body, object };
}

/** Codec failures that mean "this stored object does not rebuild", reported as invalid. */
const INVALID_OBJECT_CODES: ReadonlySet<DeltaGliderErrorCode> = new Set([
  'ERR_DG_CORRUPT_DELTA', 'ERR_DG_CHECKSUM', 'ERR_DG_SOURCE_MISMATCH', 'ERR_DG_UNSUPPORTED', 'ERR_DG_LIMIT',
  'ERR_DG_REFERENCE_MISMATCH', 'ERR_DG_SHA256_MISMATCH', 'ERR_DG_BAD_METADATA',
]);

export async function verifyObject(
  ctx: ServiceContext,
  bucket: string,
  key: string,
  options: ServiceVerifyOptions = {},
): Promise<VerifyResult> {
  const located = await locateOrThrow(ctx.storage, bucket, key);
  const object = toLogicalObject(bucket, located);
  const where = s3Url(bucket, located.storedKey);
  const expected = located.kind === 'delta' ? parseDeltaMetadata(located.head.metadata, where).fileSha256 : object.sha256;
  const base = { bucket, key, kind: located.kind, expectedSha256: expected ?? '', size: object.size, storedSize: object.storedSize };
  // The bucket, not just this machine's cache: another machine must be able to rebuild it.
  if (located.kind === 'delta') {
    const problem = await storedReferenceProblem(ctx, bucket, located, options.deep === true);
    if (problem) return { ...base, valid: false, actualSha256: '', error: problem };
  }
  // Every delta is decoded, a zero-diff one too: downloads serve the reference instead,
  // but a damaged .delta would still break the Python tool and xdelta3 on this bucket.
  let opened: OriginalStream;
  try {
    opened = await openOriginal(ctx, bucket, located, false, true);
    await pipeline(opened.body, new Writable({ write: (_chunk, _enc, done) => done() }));
  } catch (err) {
    if (isDeltaGliderError(err) && INVALID_OBJECT_CODES.has(err.code)) {
      return { ...base, valid: false, actualSha256: '', error: { code: err.code, message: err.message } };
    }
    throw err;
  }
  const outcome = opened.outcome();
  if (!outcome) throw new DeltaGliderError('ERR_DG_INTERNAL', `${where}: stream ended without a result`);
  // Without a stored SHA-256 (plain objects written by other tools) there is nothing to compare: valid.
  if (opened.expectedSha256 === undefined || outcome.sha256 === opened.expectedSha256) {
    return { ...base, valid: true, actualSha256: outcome.sha256, size: outcome.size };
  }
  return {
    ...base, valid: false, actualSha256: outcome.sha256, size: outcome.size,
    error: { code: 'ERR_DG_SHA256_MISMATCH', message: `${where}: rebuilt bytes hash to ${outcome.sha256}, expected ${opened.expectedSha256}` },
  };
}

/**
 * What is wrong with the reference a delta needs, as stored in the bucket: missing, its
 * metadata naming other bytes, its size not the size of the bytes the delta was made
 * against (known from the cache, which checked them), or with `deep` its bytes themselves
 * (downloaded and hashed, whatever the cache holds). undefined when it is fine.
 */
async function storedReferenceProblem(
  ctx: ServiceContext,
  bucket: string,
  located: Located,
  deep: boolean,
): Promise<{ code: string; message: string } | undefined> {
  const meta = parseDeltaMetadata(located.head.metadata, s3Url(bucket, located.storedKey));
  const refKey = meta.refKey ?? referenceKeyOf(deltaspaceOf(located.storedKey));
  const refUrl = s3Url(bucket, refKey);
  const head = await ctx.storage.head(bucket, refKey);
  if (!head) return { code: 'ERR_DG_NOT_FOUND', message: `${refUrl}: the reference this delta needs is missing from the bucket` };
  const claimed = readSha256(head.metadata, FIELD.fileSha256, refUrl);
  if (claimed !== undefined && claimed !== meta.refSha256) {
    return { code: 'ERR_DG_REFERENCE_MISMATCH', message: `${refUrl}: the stored reference is another file (SHA-256 ${claimed}); the delta needs ${meta.refSha256}` };
  }
  const cached = deep ? null : await ctx.cache.get(meta.refSha256);
  if (cached) {
    await cached.release();
    if (cached.size === head.size) return undefined;
    return { code: 'ERR_DG_REFERENCE_MISMATCH', message: `${refUrl}: the stored reference has ${head.size} bytes; the delta needs ${cached.size}` };
  }
  const got = await ctx.storage.get(bucket, refKey);
  const hasher = new HashingStream();
  try {
    await pipeline(got.body, hasher, new Writable({ write: (_chunk, _enc, done) => done() }));
  } catch (err) {
    return { code: 'ERR_DG_STORAGE', message: `${refUrl}: could not read the reference: ${(err as Error).message}` };
  }
  if (hasher.sha256 === meta.refSha256) return undefined;
  return { code: 'ERR_DG_REFERENCE_MISMATCH', message: `${refUrl}: the stored reference's bytes hash to ${hasher.sha256}; the delta needs ${meta.refSha256}` };
}

function progressCounter(report: ServiceGetOptions['onProgress'], total: number | undefined): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      report?.(bytes, total);
      done(null, chunk);
    },
  });
}
