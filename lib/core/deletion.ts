/**
 * Deleting logical objects and prefixes. A deltaspace's reference goes when the last delta
 * that needs it goes, and stays while any remains — also when a recursive delete's prefix
 * cuts through a deltaspace and takes only some of its deltas.
 */
import { DeltaGliderError, isDeltaGliderError } from '../errors';
import { listAll } from '../ports/storage';
import type { ServiceContext } from './context';
import { deltaspaceOf, deltaspacePrefix, hasDeltaSuffix, isReferenceKey, referenceKeyOf, s3Url } from './keys';
import { locate } from './lookup';
import type { ServiceDeleteResult } from './types';

/** S3's DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

export async function deleteLogical(ctx: ServiceContext, bucket: string, key: string): Promise<ServiceDeleteResult> {
  if (isReferenceKey(key)) {
    throw new DeltaGliderError(
      'ERR_DG_INVALID_ARGUMENT',
      `${s3Url(bucket, key)} is a deltaspace reference; it is removed with the last delta that needs it (or delete the prefix recursively)`,
    );
  }
  const located = await locate(ctx.storage, bucket, key);
  if (!located) return { deletedKeys: [] }; // like S3: deleting what is not there succeeds
  await deleteQuietly(ctx, bucket, located.storedKey);
  const deletedKeys = [located.storedKey];
  if (located.kind === 'delta') {
    const deltaspace = deltaspaceOf(located.storedKey);
    if (!(await hasDeltas(ctx, bucket, deltaspace))) {
      const refKey = referenceKeyOf(deltaspace);
      if (await ctx.storage.head(bucket, refKey)) {
        await deleteQuietly(ctx, bucket, refKey);
        deletedKeys.push(refKey);
      }
    }
  }
  return { deletedKeys };
}

export async function deletePrefix(
  ctx: ServiceContext,
  bucket: string,
  prefix: string,
  options: { dryRun?: boolean } = {},
): Promise<ServiceDeleteResult> {
  const objects: string[] = [];
  const references: string[] = [];
  for await (const summary of listAll(ctx.storage, bucket, { prefix })) {
    (isReferenceKey(summary.key) ? references : objects).push(summary.key);
  }
  const doomedReferences: string[] = [];
  for (const refKey of references) {
    const deltaspace = deltaspaceOf(refKey);
    const wholeDeltaspace = deltaspacePrefix(deltaspace).startsWith(prefix);
    if (wholeDeltaspace || !(await hasDeltas(ctx, bucket, deltaspace, (k) => k.startsWith(prefix)))) {
      doomedReferences.push(refKey);
    }
  }
  if (options.dryRun) return { deletedKeys: [...objects, ...doomedReferences] };
  // Deltas before references: an interrupted delete never leaves a delta without its reference.
  await deleteAll(ctx, bucket, objects);
  await deleteAll(ctx, bucket, doomedReferences);
  return { deletedKeys: [...objects, ...doomedReferences] };
}

/**
 * References under `prefix` that no delta needs: left by an upload that failed between its
 * reference and its first delta, or by a delete that stopped half way. Only those older
 * than `minAgeMs` go, so an upload still between those two steps keeps its reference.
 * `keep` can spare some (the caller's filters, by key).
 */
export async function deleteOrphanReferences(
  ctx: ServiceContext,
  bucket: string,
  prefix: string,
  options: { dryRun?: boolean; minAgeMs: number; keep?: (key: string) => boolean },
): Promise<ServiceDeleteResult> {
  const references = new Map<string, Date | undefined>();
  const needed = new Set<string>(); /* deltaspaces with a delta */
  for await (const summary of listAll(ctx.storage, bucket, { prefix })) {
    if (isReferenceKey(summary.key)) references.set(summary.key, summary.lastModified);
    else if (hasDeltaSuffix(summary.key)) needed.add(deltaspaceOf(summary.key));
  }
  const cutoff = ctx.clock.now().getTime() - options.minAgeMs;
  const orphans = [...references]
    .filter(([key, modified]) => !needed.has(deltaspaceOf(key)) && modified !== undefined && modified.getTime() <= cutoff)
    .map(([key]) => key)
    .filter((key) => !options.keep?.(key));
  // The listing is a snapshot: check each deltaspace again right before deleting.
  const deletedKeys: string[] = [];
  for (const key of orphans) {
    if (await hasDeltas(ctx, bucket, deltaspaceOf(key))) continue;
    if (!options.dryRun) await deleteQuietly(ctx, bucket, key);
    deletedKeys.push(key);
  }
  return { deletedKeys };
}

/** True when a delta remains directly in the deltaspace (ignoring keys `excluded` says will go). */
async function hasDeltas(
  ctx: ServiceContext,
  bucket: string,
  deltaspace: string,
  excluded: (key: string) => boolean = () => false,
): Promise<boolean> {
  let token: string | undefined;
  do {
    const page = await ctx.storage.list(bucket, { prefix: deltaspacePrefix(deltaspace), delimiter: '/', continuationToken: token });
    if (page.objects.some((o) => hasDeltaSuffix(o.key) && !excluded(o.key))) return true;
    token = page.nextContinuationToken;
  } while (token);
  return false;
}

async function deleteAll(ctx: ServiceContext, bucket: string, keys: string[]): Promise<void> {
  const failures: { key: string; code: string; message: string }[] = [];
  for (let i = 0; i < keys.length; i += DELETE_BATCH) {
    const result = await ctx.storage.deleteMany(bucket, keys.slice(i, i + DELETE_BATCH));
    failures.push(...result.errors);
  }
  if (failures.length > 0) {
    const first = failures[0];
    throw new DeltaGliderError(
      'ERR_DG_STORAGE',
      `could not delete ${failures.length} of ${keys.length} objects; first: ${s3Url(bucket, first.key)}: ${first.message} (${first.code})`,
    );
  }
}

async function deleteQuietly(ctx: ServiceContext, bucket: string, key: string): Promise<void> {
  try {
    await ctx.storage.delete(bucket, key);
  } catch (err) {
    if (!isDeltaGliderError(err, 'ERR_DG_NOT_FOUND')) throw err;
  }
}
