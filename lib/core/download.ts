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
import { rename, stat } from 'node:fs/promises';
import { finished, PassThrough, pipeline as pipelineCallback, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { DeltaGliderError, isDeltaGliderError, type DeltaGliderErrorCode } from '../errors';
import type { CodecStream } from '../codec/types';
import type { CachedReference } from '../ports/reference-cache';
import { METRIC, type ServiceContext } from './context';
import { HashingStream, sha256Mismatch } from './hashing';
import { deltaspaceOf, referenceKeyOf, s3Url } from './keys';
import { type Located, locateOrThrow, toLogicalObject } from './lookup';
import { type DeltaMetadata, parseDeltaMetadata, parseDirectMetadata } from './metadata';
import { removeQuietly, tempPathBeside } from './temp-files';
import type { LogicalObject, ServiceGetOptions, ServiceGetResult, VerifyResult } from './types';

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
    const expected = parseDirectMetadata(located.head.metadata, where).fileSha256;
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

/** Stream the cached reference as the original bytes; the reference is released once the stream is done. */
function openCachedReference(reference: CachedReference, meta: DeltaMetadata, where: string): OriginalStream {
  const counter = new ByteCounter(reference.size, where);
  finished(counter, () => reference.release().catch(() => undefined));
  forward(createReadStream(reference.path, { highWaterMark: COPY_CHUNK }), counter, where);
  return {
    body: counter,
    expectedSha256: meta.fileSha256,
    size: reference.size,
    // The cache checked the SHA-256 of this very file before handing it out.
    outcome: () => (counter.done ? { sha256: reference.sha256, size: counter.bytes } : undefined),
  };
}

/** A pass-through that fails at its end when it did not see exactly `expected` bytes. */
class ByteCounter extends Transform {
  bytes = 0;
  done = false;

  constructor(
    private readonly expected: number,
    private readonly where: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: (err?: Error | null) => void): void {
    if (this.bytes !== this.expected) {
      callback(new DeltaGliderError('ERR_DG_IO', `${this.where}: read ${this.bytes} bytes of the cached reference, expected ${this.expected}`));
      return;
    }
    this.done = true;
    callback();
  }
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
  const zeroDiff = zeroDiffMetadata(bucket, located);
  if (zeroDiff) return copyCachedReference(ctx, bucket, key, located, zeroDiff, destinationPath, options);
  const opened = await openOriginal(ctx, bucket, located, true);
  let temp: string | undefined;
  try {
    temp = await tempPathBeside(destinationPath);
    await pipeline(opened.body, progressCounter(options.onProgress, opened.size), createWriteStream(temp));
    const outcome = opened.outcome();
    if (!outcome) throw new DeltaGliderError('ERR_DG_INTERNAL', `${s3Url(bucket, located.storedKey)}: stream ended without a result`);
    // The streams already enforce this; checking again costs nothing and guards the rename.
    if (opened.expectedSha256 !== undefined && outcome.sha256 !== opened.expectedSha256) {
      throw sha256Mismatch(s3Url(bucket, located.storedKey), opened.expectedSha256, outcome.sha256);
    }
    await rename(temp, destinationPath);
    ctx.metrics.increment(METRIC.download, 1, { kind: located.kind });
    return { bucket, key, kind: located.kind, sha256: outcome.sha256, size: outcome.size };
  } catch (err) {
    opened.body.destroy();
    if (temp !== undefined) await removeQuietly(temp);
    if (isDeltaGliderError(err)) throw err;
    throw new DeltaGliderError('ERR_DG_IO', `${destinationPath}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Download a zero-diff object: a copy of the cached reference, streamed a chunk at a time.
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
  let temp: string | undefined;
  try {
    temp = await tempPathBeside(destinationPath);
    await copyWithProgress(reference.path, temp, reference.size, options.onProgress);
    const { size } = await stat(temp);
    if (size !== reference.size) {
      throw new DeltaGliderError('ERR_DG_IO', `${destinationPath}: copied ${size} bytes of the reference, expected ${reference.size}`);
    }
    await rename(temp, destinationPath);
    ctx.metrics.increment(METRIC.download, 1, { kind: located.kind });
    return { bucket, key, kind: located.kind, sha256: reference.sha256, size };
  } catch (err) {
    if (temp !== undefined) await removeQuietly(temp);
    if (isDeltaGliderError(err)) throw err;
    throw new DeltaGliderError('ERR_DG_IO', `${destinationPath}: ${(err as Error).message}`, { cause: err });
  } finally {
    await reference.release();
  }
}

/**
 * A streamed copy, not copyFile(): copyFile gives the copy the cache file's 0600 mode,
 * where every other download gets the usual mode the umask allows.
 */
async function copyWithProgress(from: string, to: string, size: number, report: ServiceGetOptions['onProgress']): Promise<void> {
  await pipeline(createReadStream(from, { highWaterMark: COPY_CHUNK }), progressCounter(report, size), createWriteStream(to));
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
]);

export async function verifyObject(ctx: ServiceContext, bucket: string, key: string): Promise<VerifyResult> {
  const located = await locateOrThrow(ctx.storage, bucket, key);
  const object = toLogicalObject(bucket, located);
  // Every delta is decoded, a zero-diff one too: downloads serve the reference instead,
  // but a damaged .delta would still break the Python tool and xdelta3 on this bucket.
  const opened = await openOriginal(ctx, bucket, located, false, true);
  const base = {
    bucket, key, kind: located.kind, expectedSha256: opened.expectedSha256 ?? '', size: object.size, storedSize: object.storedSize,
  };
  try {
    await pipeline(opened.body, new Writable({ write: (_chunk, _enc, done) => done() }));
  } catch (err) {
    if (isDeltaGliderError(err) && INVALID_OBJECT_CODES.has(err.code)) {
      return { ...base, valid: false, actualSha256: '', error: { code: err.code, message: err.message } };
    }
    throw err;
  }
  const outcome = opened.outcome();
  if (!outcome) throw new DeltaGliderError('ERR_DG_INTERNAL', `${s3Url(bucket, located.storedKey)}: stream ended without a result`);
  // Without a stored SHA-256 (objects written by other tools) there is nothing to compare: valid.
  const valid = opened.expectedSha256 === undefined || outcome.sha256 === opened.expectedSha256;
  return { ...base, valid, actualSha256: outcome.sha256, size: outcome.size };
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
