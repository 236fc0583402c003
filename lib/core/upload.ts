/**
 * put: store a local file under a logical key — as a delta against its deltaspace's
 * reference when it is a candidate and the delta is small enough, else directly.
 * The first candidate of a deltaspace becomes a new reference, plus a zero-diff delta of
 * itself under its own name (what the Python tool writes, so its readers find the object).
 *
 * What makes it safe against other writers (other processes, other machines, stores that
 * ignore conditional writes): references are write-once under keys of their own
 * (reference.ts), so a delta's reference can vanish (a concurrent delete) but never change;
 * after writing a delta the upload checks its reference is still there and encodes again
 * if not. The bytes of every full upload are hashed as they are sent and must be the bytes
 * hashed before, so a file that changes meanwhile fails the upload and stores nothing.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { CodecResult, EncodeOptions } from '../codec/types';
import { DeltaGliderError, isDeltaGliderError } from '../errors';
import { deleteIfPresent, type Metadata } from '../ports/storage';
import { METRIC, type ServiceContext } from './context';
import { assertWritableKey, baseName, deltaKeyOf, deltaspaceOf, hasDeltaSuffix, immutableReferenceKey, s3Url } from './keys';
import { classifyStored } from './lookup';
import type { DeltaFormatSetting } from './bucket-config';
import { deltaMetadata, directMetadata, type DeltaKind, fitMetadata, userMetadata, ZERO_DIFF_NOTE } from './metadata';
import { parseMaxRatio } from './policy';
import type { CurrentReference, ReferenceInfo } from './reference';
import { regularFileSize, scratchDir } from './temp-files';
import { otherFormBefore, settleForms } from './stored-forms';
import type { ServicePutOptions, ServicePutResult } from './types';

interface UploadJob {
  bucket: string;
  key: string;
  localPath: string;
  name: string;
  size: number;
  options: ServicePutOptions;
  user: Metadata;
}

/** S3 keys are at most 1024 bytes; a reference key adds ~100 to its deltaspace's prefix. */
const MAX_KEY_BYTES = 1024;

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
  else if (Buffer.byteLength(immutableReferenceKey(deltaspaceOf(key), '0'.repeat(64), '0'.repeat(12))) > MAX_KEY_BYTES) {
    directReason = 'key-too-long';
  }
  if (directReason !== undefined) return putDirect(ctx, job, directReason);

  const scratch = await scratchDir(ctx.tempDir);
  try {
    return await putCandidate(ctx, job, join(scratch.path, 'delta'));
  } finally {
    await scratch.dispose();
  }
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
  const hashed = knownSha256 === undefined ? await hashUnchanged(ctx, job) : { sha256: knownSha256, size: job.size };
  // Written again only when a concurrent writer of the other form crossed our delete (stored-forms.ts).
  for (let attempt = 1; ; attempt++) {
    const before = await otherFormBefore(ctx, bucket, key, 'direct');
    const createdAt = ctx.clock.now();
    const metadata = fitMetadata({
      ...job.user,
      ...directMetadata({ tool: ctx.tool, originalName: job.name, sha256: hashed.sha256, size: hashed.size, createdAt }),
    }, s3Url(bucket, key));
    const put = await ctx.storage.put(bucket, key, { file: job.localPath }, {
      metadata,
      contentType: job.options.contentType,
      onProgress: progress(job, hashed.size),
      expectedSha256: hashed.sha256,
    });
    if (await settleForms(ctx, bucket, key, { kind: 'direct', etag: put.etag, createdAt }, before)) break;
    if (attempt === ctx.maxRaceRetries) throw formsKeptVanishing(bucket, key, attempt);
  }
  record(ctx, 'direct', hashed.size, hashed.size);
  return {
    bucket, key, storedKey: key, storedAs: 'direct', originalSize: hashed.size, storedSize: hashed.size, sha256: hashed.sha256,
    ratio: hashed.size === 0 ? 0 : 1, directReason: reason,
  };
}

/** SHA-256 of the file, which must still have the size it had when the upload began. */
async function hashUnchanged(ctx: ServiceContext, job: UploadJob): Promise<{ sha256: string; size: number }> {
  const hashed = await ctx.codec.hashFile(job.localPath);
  if (hashed.size !== job.size) {
    throw new DeltaGliderError('ERR_DG_SOURCE_CHANGED', `${job.localPath}: the file changed while it was being uploaded; nothing was stored`);
  }
  return hashed;
}

/**
 * Wait before looking at the deltaspace again after losing a race (its reference vanished
 * under a concurrent delete): doubling, jittered so racers spread out: ~25, 50, 100, 200 ms.
 */
function raceBackoffMs(attempt: number): number {
  return 25 * 2 ** (attempt - 2) * (0.5 + Math.random());
}

/** What a candidate upload stores: a delta against `reference`, or (first upload) a new reference. */
interface Encoded {
  storedAs: 'reference' | 'delta';
  reference: ReferenceInfo;
  result: CodecResult;
  /** The kind of delta body written (the zero-diff delta beside a new reference is VCDIFF). */
  deltaFormat: DeltaKind;
}

/**
 * Encode against the deltaspace's reference (creating one if there is none), upload the
 * delta, then confirm the reference is still there. Where a concurrent delete removed it
 * in between, encode again against what is there now.
 */
async function putCandidate(ctx: ServiceContext, job: UploadJob, deltaPath: string): Promise<ServicePutResult> {
  const { bucket, key } = job;
  const storedKey = deltaKeyOf(key);
  const maxRatio = job.options.maxRatio !== undefined ? parseMaxRatio(job.options.maxRatio) : ctx.policy.maxRatio;
  let written: string | undefined; // ETag of our last delta write

  for (let attempt = 1; attempt <= ctx.maxRaceRetries; attempt++) {
    if (attempt > 1) await sleep(raceBackoffMs(attempt));
    const encoded = await encodeForDeltaspace(ctx, job, deltaPath);
    if (encoded === 'bad-reference') return putDirect(ctx, job, 'bad-reference');
    if (encoded === 'retry') continue;
    const { storedAs, reference, result } = encoded;
    if (storedAs === 'delta' && !ctx.policy.acceptsDelta(result.deltaSize, result.size, maxRatio)) {
      ctx.logger.debug('delta too large; storing directly', { key, deltaSize: result.deltaSize, size: result.size, maxRatio });
      return putDirect(ctx, job, 'ratio', result.sha256);
    }

    const before = await otherFormBefore(ctx, bucket, key, 'delta');
    const createdAt = ctx.clock.now();
    const metadata = fitMetadata({
      ...job.user,
      ...deltaMetadata({
        tool: ctx.tool, originalName: job.name, sha256: result.sha256, size: result.size, createdAt,
        refKey: reference.key, refSha256: reference.sha256, deltaSize: result.deltaSize, deltaFormat: encoded.deltaFormat,
        deltaCmd: `deltaglider-node delta encode --source reference.bin ${job.name} ${job.name}.delta`,
        note: storedAs === 'reference' ? ZERO_DIFF_NOTE : undefined,
      }),
    }, s3Url(bucket, storedKey));
    written = (await ctx.storage.put(bucket, storedKey, { file: deltaPath }, {
      metadata, contentType: job.options.contentType, onProgress: progress(job, result.deltaSize),
    })).etag;

    if (await ctx.references.exists(bucket, reference)) {
      if (!(await settleForms(ctx, bucket, key, { kind: 'delta', etag: written, createdAt }, before))) continue; // crossed deletes: write again
      record(ctx, storedAs, result.size, storedAs === 'reference' ? result.size + result.deltaSize : result.deltaSize);
      return {
        bucket, key, storedKey, storedAs, originalSize: result.size, storedSize: result.deltaSize,
        sha256: result.sha256, ratio: result.size === 0 ? 0 : result.deltaSize / result.size, referenceKey: reference.key,
      };
    }
    ctx.metrics.increment(METRIC.referenceRace);
    ctx.logger.warn('reference deleted while uploading a delta; encoding again', { key: s3Url(bucket, storedKey), reference: reference.key, attempt });
  }
  // Never leave our delta pointing at a reference that is gone (unless another writer replaced it).
  if (written !== undefined && (await ctx.storage.head(bucket, storedKey))?.etag === written) await deleteIfPresent(ctx.storage, bucket, storedKey);
  throw new DeltaGliderError(
    'ERR_DG_STORAGE',
    `${s3Url(bucket, key)}: the deltaspace's reference kept being deleted during the upload (${ctx.maxRaceRetries} attempts)`,
  );
}

/**
 * The delta of the file against the deltaspace's current reference, or, when it has none,
 * a new reference made of the file and its zero-diff delta. 'retry': the reference went
 * away or proved unusable while we looked at it; 'bad-reference': the legacy reference has
 * unusable metadata, so nothing can be encoded against it (the upload still succeeds, directly).
 */
async function encodeForDeltaspace(ctx: ServiceContext, job: UploadJob, deltaPath: string): Promise<Encoded | 'retry' | 'bad-reference'> {
  const { bucket, key } = job;
  const deltaspace = deltaspaceOf(key);
  for (;;) {
    let current: CurrentReference | null;
    try {
      current = await ctx.references.current(bucket, deltaspace);
    } catch (err) {
      if (!isDeltaGliderError(err, 'ERR_DG_BAD_METADATA')) throw err;
      ctx.logger.warn('deltaspace reference has unusable metadata; storing directly', { key: s3Url(bucket, key), error: err.message });
      return 'bad-reference';
    }
    if (current) return encodeAgainst(ctx, job, current, deltaPath);
    // One first upload per deltaspace at a time in this process (cp --recursive, batch
    // calls): the others wait for its reference instead of each making one.
    const group = `${bucket}\0${deltaspace}`;
    const running = ctx.firstUploads.get(group);
    if (running) {
      await running;
      continue;
    }
    let done!: () => void;
    ctx.firstUploads.set(group, new Promise<void>((resolve) => (done = resolve)));
    try {
      return await createReference(ctx, job, deltaPath);
    } finally {
      ctx.firstUploads.delete(group);
      done();
    }
  }
}

async function encodeAgainst(ctx: ServiceContext, job: UploadJob, current: CurrentReference, deltaPath: string): Promise<Encoded | 'retry'> {
  const { bucket } = job;
  let reference;
  let format: DeltaFormatSetting;
  try {
    [reference, format] = await Promise.all([
      ctx.encodeReferences.acquire(current.sha256, () => ctx.references.fetch(bucket, current.key, current.sha256)),
      deltaFormatFor(ctx, job, current),
    ]);
  } catch (err) {
    if (isDeltaGliderError(err, 'ERR_DG_NOT_FOUND')) {
      ctx.metrics.increment(METRIC.referenceRace);
      return 'retry'; // deleted between listing and fetching it
    }
    if (isDeltaGliderError(err, 'ERR_DG_REFERENCE_MISMATCH')) {
      // Its bytes are not what its key promises (a writer died between upload and check):
      // choose another, or make a new one.
      ctx.logger.warn('deltaspace reference is damaged; not using it', { key: s3Url(bucket, current.key), error: err.message });
      ctx.references.markUnusable(bucket, current.key);
      return 'retry';
    }
    throw err;
  }
  const started = Date.now();
  // `format` is the codec's choice between plain VCDIFF and its own archive-aware deltas.
  const result = await ctx.codec.encodeFile(reference, job.localPath, deltaPath, { format } as Omit<EncodeOptions, 'reference'>);
  ctx.metrics.timing(METRIC.encodeTime, Date.now() - started);
  return { storedAs: 'delta', reference: current, result, deltaFormat: (result as { format?: DeltaKind }).format ?? 'vcdiff' };
}

/**
 * Which deltas this upload may write. Plain VCDIFF (readable by the Python DeltaGlider and
 * xdelta3) whenever anyone asks for it: the bucket's pinned setting, the upload's option or
 * DG_DELTA_FORMAT; 'auto' when one of them says so; otherwise VCDIFF in a deltaspace the
 * Python tool writes to, and 'auto' everywhere else.
 */
async function deltaFormatFor(ctx: ServiceContext, job: UploadJob, current: CurrentReference): Promise<DeltaFormatSetting> {
  const pinned = (await ctx.bucketConfigs.get(job.bucket))['delta-format'];
  const asked = job.options.deltaFormat ?? ctx.deltaFormat;
  if (pinned === 'vcdiff' || asked === 'vcdiff') return 'vcdiff';
  if (pinned === 'auto' || asked === 'auto') return 'auto';
  return current.pythonDeltaspace ? 'vcdiff' : 'auto';
}

/**
 * The file becomes the deltaspace's new reference. Its zero-diff delta (one COPY per
 * window, written without encoding: memory stays flat whatever the size) goes under its
 * own name. The local file is also put in the reference cache, so the next upload into
 * the deltaspace does not download what was just uploaded.
 */
async function createReference(ctx: ServiceContext, job: UploadJob, deltaPath: string): Promise<Encoded> {
  const started = Date.now();
  const { sha256, size } = await hashUnchanged(ctx, job);
  const deltaSize = await ctx.codec.writeIdentityDelta(size, deltaPath);
  ctx.metrics.timing(METRIC.encodeTime, Date.now() - started);
  const reference = await ctx.references.create({
    bucket: job.bucket, deltaspace: deltaspaceOf(job.key), localPath: job.localPath, sourceName: job.name, sha256, size,
    tool: ctx.tool, createdAt: ctx.clock.now(),
  });
  await ctx.cache.put(sha256, { file: job.localPath }).then((cached) => cached.release(), () => undefined);
  return { storedAs: 'reference', reference, result: { sha256, size, deltaSize }, deltaFormat: 'vcdiff' };
}

function formsKeptVanishing(bucket: string, key: string, attempts: number): DeltaGliderError {
  return new DeltaGliderError(
    'ERR_DG_STORAGE',
    `${s3Url(bucket, key)}: concurrent writers of this key kept deleting each other's upload (${attempts} attempts)`,
  );
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
