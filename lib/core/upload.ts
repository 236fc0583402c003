/**
 * put: store a local file under a logical key — as a delta against its deltaspace's
 * reference when it is a candidate and the delta is small enough, else directly.
 * The first candidate of a deltaspace becomes `reference.bin`, plus a zero-diff delta of
 * itself under its own name (what the Python tool writes, so its readers find the object).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { CodecResult, ReferenceInput } from '../codec/types';
import { DeltaGliderError, isDeltaGliderError } from '../errors';
import type { Metadata } from '../ports/storage';
import { METRIC, type ServiceContext } from './context';
import { assertWritableKey, baseName, deltaKeyOf, deltaspaceOf, hasDeltaSuffix, referenceKeyOf, s3Url } from './keys';
import { classifyStored } from './lookup';
import { deltaMetadata, directMetadata, fitMetadata, userMetadata, ZERO_DIFF_NOTE } from './metadata';
import { parseMaxRatio } from './policy';
import type { ReferenceInfo } from './reference';
import { scratchDir } from './temp-files';
import type { ServicePutOptions, ServicePutResult, StorageKind } from './types';

interface UploadJob {
  bucket: string;
  key: string;
  localPath: string;
  name: string;
  size: number;
  options: ServicePutOptions;
  user: Metadata;
}

export async function uploadFile(
  ctx: ServiceContext,
  localPath: string,
  bucket: string,
  key: string,
  options: ServicePutOptions = {},
): Promise<ServicePutResult> {
  assertWritableKey(bucket, key);
  const size = await regularFileSize(localPath);
  const job: UploadJob = { bucket, key, localPath, name: baseName(key), size, options, user: userMetadata(options.metadata) };

  let directReason: string | undefined;
  if (options.noDelta) directReason = 'no-delta';
  else if (size === 0) directReason = 'empty';
  else if (!(await ctx.policy.isCandidate(job.name, localPath))) directReason = 'not-a-candidate';
  if (directReason !== undefined) return putDirect(ctx, job, directReason);

  const scratch = await scratchDir(ctx.tempDir);
  try {
    return await putCandidate(ctx, job, join(scratch.path, 'delta'));
  } finally {
    await scratch.dispose();
  }
}

async function regularFileSize(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${path}: no such file`, { cause: err });
    throw new DeltaGliderError('ERR_DG_IO', `${path}: ${(err as Error).message}`, { cause: err });
  }
  if (!info.isFile()) throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${path}: not a regular file`);
  return info.size;
}

async function putDirect(ctx: ServiceContext, job: UploadJob, reason: string, knownSha256?: string): Promise<ServicePutResult> {
  const { bucket, key } = job;
  if (hasDeltaSuffix(key)) {
    // A file really named `x.delta` stored as is must not overwrite the delta of `x`.
    const existing = await ctx.storage.head(bucket, key);
    if (existing && classifyStored(key, existing.metadata) === 'delta') {
      throw new DeltaGliderError(
        'ERR_DG_ALREADY_EXISTS',
        `${s3Url(bucket, key)} holds the delta of another object; cannot store a file of that name directly`,
      );
    }
  }
  const sha256 = knownSha256 ?? (await ctx.codec.hashFile(job.localPath)).sha256;
  const metadata = fitMetadata({
    ...job.user,
    ...directMetadata({ tool: ctx.tool, originalName: job.name, sha256, size: job.size, createdAt: ctx.clock.now() }),
  }, s3Url(bucket, key));
  await ctx.storage.put(bucket, key, { file: job.localPath }, {
    metadata,
    contentType: job.options.contentType,
    onProgress: progress(job, job.size),
  });
  await removeOtherForm(ctx, bucket, key, 'direct');
  record(ctx, 'direct', job.size, job.size);
  return {
    bucket, key, storedKey: key, storedAs: 'direct', originalSize: job.size, storedSize: job.size, sha256,
    ratio: job.size === 0 ? 0 : 1, directReason: reason,
  };
}

/**
 * Wait before looking at the reference again after losing a race: on a store without
 * conditional writes, the first uploads into an empty deltaspace each write reference.bin
 * in turn, and retrying at once only meets the next writer. Doubling, jittered so racers
 * spread out: ~25, 50, 100, 200, 400 ms.
 */
function raceBackoffMs(attempt: number): number {
  return 25 * 2 ** (attempt - 2) * (0.5 + Math.random());
}

/**
 * Encode against the deltaspace's reference (creating it if there is none), upload the
 * delta, then confirm the reference is still the one encoded against. Where a racing writer
 * replaced or removed it in between (stores without conditional writes, or a concurrent
 * delete), encode again against what is there now.
 */
async function putCandidate(ctx: ServiceContext, job: UploadJob, deltaPath: string): Promise<ServicePutResult> {
  const { bucket, key } = job;
  const deltaspace = deltaspaceOf(key);
  const refKey = referenceKeyOf(deltaspace);
  const storedKey = deltaKeyOf(key);
  const maxRatio = job.options.maxRatio !== undefined ? parseMaxRatio(job.options.maxRatio) : ctx.policy.maxRatio;

  for (let attempt = 1; attempt <= ctx.maxRaceRetries; attempt++) {
    if (attempt > 1) await sleep(raceBackoffMs(attempt));
    let existing: ReferenceInfo | null;
    try {
      existing = await ctx.references.head(bucket, deltaspace);
    } catch (err) {
      if (!isDeltaGliderError(err, 'ERR_DG_BAD_METADATA')) throw err;
      // A reference nobody can verify cannot be encoded against; the upload still succeeds.
      ctx.logger.warn('deltaspace reference has unusable metadata; storing directly', { key: s3Url(bucket, refKey), error: err.message });
      return putDirect(ctx, job, 'bad-reference');
    }
    let storedAs: 'reference' | 'delta';
    let refSha256: string;
    let encoded: CodecResult;
    const started = Date.now();
    if (existing) {
      const { key: existingKey, sha256: existingSha } = existing;
      let reference: ReferenceInput;
      try {
        reference = await ctx.encodeReferences.acquire(existingSha, () => ctx.references.fetch(bucket, existingKey, existingSha));
      } catch (err) {
        // On stores without conditional writes a racing writer can replace reference.bin
        // between our HEAD and GET: the bytes then differ from the metadata we read. Look again.
        if (!isDeltaGliderError(err, 'ERR_DG_REFERENCE_MISMATCH')) throw err;
        ctx.metrics.increment(METRIC.referenceRace);
        ctx.logger.warn('reference replaced while fetching it; looking again', { key: s3Url(bucket, existingKey), attempt });
        continue;
      }
      encoded = await ctx.codec.encodeFile(reference, job.localPath, deltaPath);
      ctx.metrics.timing(METRIC.encodeTime, Date.now() - started);
      if (!ctx.policy.acceptsDelta(encoded.deltaSize, encoded.size, maxRatio)) {
        ctx.logger.debug('delta too large; storing directly', { key, deltaSize: encoded.deltaSize, size: encoded.size, maxRatio });
        return putDirect(ctx, job, 'ratio', encoded.sha256);
      }
      storedAs = 'delta';
      refSha256 = existing.sha256;
    } else {
      encoded = await zeroDiff(ctx, job.localPath, deltaPath);
      ctx.metrics.timing(METRIC.encodeTime, Date.now() - started);
      const created = await ctx.references.create({
        bucket, deltaspace, localPath: job.localPath, sourceName: job.name, sha256: encoded.sha256, tool: ctx.tool,
        createdAt: ctx.clock.now(),
      });
      if (!created) {
        ctx.metrics.increment(METRIC.referenceRace);
        continue; // another writer's reference won: encode against it
      }
      storedAs = 'reference';
      refSha256 = encoded.sha256;
    }

    const metadata = fitMetadata({
      ...job.user,
      ...deltaMetadata({
        tool: ctx.tool, originalName: job.name, sha256: encoded.sha256, size: encoded.size, createdAt: ctx.clock.now(),
        refKey, refSha256, deltaSize: encoded.deltaSize,
        deltaCmd: `deltaglider-node delta encode --source reference.bin ${job.name} ${job.name}.delta`,
        note: storedAs === 'reference' ? ZERO_DIFF_NOTE : undefined,
      }),
    }, s3Url(bucket, storedKey));
    await ctx.storage.put(bucket, storedKey, { file: deltaPath }, {
      metadata, contentType: job.options.contentType, onProgress: progress(job, encoded.deltaSize),
    });

    const now = await ctx.references.head(bucket, deltaspace);
    if (now?.sha256 === refSha256) {
      await removeOtherForm(ctx, bucket, key, 'delta');
      record(ctx, storedAs, encoded.size, storedAs === 'reference' ? encoded.size + encoded.deltaSize : encoded.deltaSize);
      return {
        bucket, key, storedKey, storedAs, originalSize: encoded.size, storedSize: encoded.deltaSize,
        sha256: encoded.sha256, ratio: encoded.size === 0 ? 0 : encoded.deltaSize / encoded.size, referenceKey: refKey,
      };
    }
    ctx.metrics.increment(METRIC.referenceRace);
    ctx.logger.warn('reference changed while uploading a delta; encoding again', {
      key: s3Url(bucket, storedKey), encodedAgainst: refSha256, now: now?.sha256 ?? null, attempt,
    });
  }
  // Never leave a delta that may point at a reference that is gone.
  await deleteIfPresent(ctx, bucket, storedKey);
  throw new DeltaGliderError(
    'ERR_DG_STORAGE',
    `${s3Url(bucket, key)}: the deltaspace reference ${refKey} kept changing during upload (${ctx.maxRaceRetries} attempts)`,
  );
}

/**
 * The file against itself: its SHA-256 (for the reference's metadata) and a delta of one
 * COPY per window, written without encoding. Encoding the file against itself would map
 * and index all of it, so memory would grow with the file; this reads it once, streaming.
 */
async function zeroDiff(ctx: ServiceContext, localPath: string, deltaPath: string): Promise<CodecResult> {
  const { sha256, size } = await ctx.codec.hashFile(localPath);
  const deltaSize = await ctx.codec.writeIdentityDelta(size, deltaPath);
  return { sha256, size, deltaSize };
}

/**
 * A logical key is stored in one form only: after writing one, remove the other if it is
 * there (a re-upload that switched between delta and direct).
 */
async function removeOtherForm(ctx: ServiceContext, bucket: string, key: string, kept: StorageKind): Promise<void> {
  const other = kept === 'direct' ? deltaKeyOf(key) : key;
  const wanted: StorageKind = kept === 'direct' ? 'delta' : 'direct';
  const head = await ctx.storage.head(bucket, other);
  if (head && classifyStored(other, head.metadata) === wanted) {
    ctx.logger.debug('removing the stale other form of a re-uploaded key', { key: other });
    await deleteIfPresent(ctx, bucket, other);
  }
}

async function deleteIfPresent(ctx: ServiceContext, bucket: string, key: string): Promise<void> {
  try {
    await ctx.storage.delete(bucket, key);
  } catch (err) {
    if (!isDeltaGliderError(err, 'ERR_DG_NOT_FOUND')) throw err;
  }
}

/** Progress of the PUT: bytes sent of the stored body. */
function progress(job: UploadJob, total: number): ((loaded: number) => void) | undefined {
  const report = job.options.onProgress;
  return report ? (loaded: number) => report(loaded, total) : undefined;
}

function record(ctx: ServiceContext, kind: 'reference' | 'delta' | 'direct', originalSize: number, storedSize: number): void {
  ctx.metrics.increment(METRIC.upload, 1, { kind });
  ctx.metrics.increment(METRIC.uploadBytes, originalSize, { kind });
  ctx.metrics.increment(METRIC.storedBytes, storedSize, { kind });
  if (originalSize > storedSize) ctx.metrics.increment(METRIC.bytesSaved, originalSize - storedSize, { kind });
}
