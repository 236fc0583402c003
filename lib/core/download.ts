/**
 * get / openRead / verify: rebuild the original bytes of a logical key. Direct objects are
 * streamed as they are (SHA-256 checked when the metadata has it); deltas are streamed
 * through the decoder with the cached reference, and their SHA-256 must equal
 * dg-file-sha256. A download lands in a temp file beside the destination and is renamed
 * into place only after the check, so nothing corrupt is ever left under the requested name.
 */
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { finished, PassThrough, pipeline as pipelineCallback, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

import { DeltaGliderError, isDeltaGliderError, type DeltaGliderErrorCode } from '../errors';
import type { CodecStream } from '../codec/types';
import { METRIC, type ServiceContext } from './context';
import { HashingStream, sha256Mismatch } from './hashing';
import { deltaspaceOf, referenceKeyOf, s3Url } from './keys';
import { type Located, locateOrThrow, toLogicalObject } from './lookup';
import { parseDeltaMetadata, parseDirectMetadata } from './metadata';
import { removeQuietly, tempPathBeside } from './temp-files';
import type { LogicalObject, ServiceGetOptions, ServiceGetResult, VerifyResult } from './types';

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
 * (ERR_DG_SHA256_MISMATCH) when the bytes differ from the metadata's SHA-256.
 */
async function openOriginal(ctx: ServiceContext, bucket: string, located: Located, enforce: boolean): Promise<OriginalStream> {
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
  const refKey = meta.refKey ?? referenceKeyOf(deltaspaceOf(located.storedKey));
  const reference = await ctx.references.fetch(bucket, refKey, meta.refSha256);
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
  const opened = await openOriginal(ctx, bucket, located, false);
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
