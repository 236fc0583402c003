/**
 * Deleting logical objects and prefixes. A deltaspace's references go when the last delta
 * goes, and stay while any remains — also when a recursive delete's prefix cuts through a
 * deltaspace and takes only some of its deltas. Deltas are always deleted before the
 * references they need, and a reference is retired through ReferenceStore.retire(), which
 * keeps it when an upload running meanwhile wrote a delta that needs it.
 */
import { DeltaGliderError, isDeltaGliderError } from '../errors';
import { deleteIfPresent, listAll, type ObjectSummary } from '../ports/storage';
import { mapLimit } from './concurrency';
import type { ServiceContext } from './context';
import { deltaspaceOf, deltaspaceOfReference, deltaspacePrefix, hasDeltaSuffix, isReferenceKey, parseReferenceKey, s3Url } from './keys';
import { locate } from './lookup';
import { FIELD, readField, readSha256 } from './metadata';
import type { ReferenceInfo } from './reference';
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
  await deleteIfPresent(ctx.storage, bucket, located.storedKey);
  const deletedKeys = [located.storedKey];
  if (located.kind === 'delta') {
    const deltaspace = deltaspaceOf(located.storedKey);
    if (!(await hasDeltas(ctx, bucket, deltaspace))) {
      deletedKeys.push(...(await retireAll(ctx, bucket, deltaspace, await ctx.references.all(bucket, deltaspace))));
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
  const references = new Map<string, ObjectSummary[]>(); // by deltaspace
  for await (const summary of listAll(ctx.storage, bucket, { prefix })) {
    if (!isReferenceKey(summary.key)) {
      objects.push(summary.key);
      continue;
    }
    const deltaspace = deltaspaceOfReference(summary.key);
    references.set(deltaspace, [...(references.get(deltaspace) ?? []), summary]);
  }
  const doomed = new Map<string, ObjectSummary[]>();
  for (const [deltaspace, refs] of references) {
    const wholeDeltaspace = deltaspacePrefix(deltaspace).startsWith(prefix);
    if (wholeDeltaspace || !(await hasDeltas(ctx, bucket, deltaspace, (k) => k.startsWith(prefix)))) doomed.set(deltaspace, refs);
  }
  const doomedKeys = [...doomed.values()].flat().map((r) => r.key);
  if (options.dryRun) return { deletedKeys: [...objects, ...doomedKeys] };
  // Deltas before references: an interrupted delete never leaves a delta without its reference.
  await deleteAll(ctx, bucket, objects);
  const retired: string[] = [];
  for (const [deltaspace, refs] of doomed) retired.push(...(await retireAll(ctx, bucket, deltaspace, refs)));
  return { deletedKeys: [...objects, ...retired] };
}

/**
 * References under `prefix` that no delta needs: left by an upload that failed between its
 * reference and its first delta, by racing first uploads (each made one; the deltas use
 * one), or by a delete that stopped half way (a parked copy: restored under the key a
 * delta names when that key is gone, else removed). Only those older than `minAgeMs` go,
 * so an upload still between those steps keeps its reference. `keep` spares some (the
 * caller's filters, by key).
 */
export async function deleteOrphanReferences(
  ctx: ServiceContext,
  bucket: string,
  prefix: string,
  options: { dryRun?: boolean; minAgeMs: number; keep?: (key: string) => boolean },
): Promise<ServiceDeleteResult> {
  const references = new Map<string, ObjectSummary[]>(); // by deltaspace
  const withDeltas = new Set<string>();
  for await (const summary of listAll(ctx.storage, bucket, { prefix })) {
    if (isReferenceKey(summary.key)) {
      const ds = deltaspaceOfReference(summary.key);
      references.set(ds, [...(references.get(ds) ?? []), summary]);
    } else if (hasDeltaSuffix(summary.key)) withDeltas.add(deltaspaceOf(summary.key));
  }
  const cutoff = ctx.clock.now().getTime() - options.minAgeMs;
  const old = (r: ObjectSummary): boolean =>
    r.lastModified !== undefined && r.lastModified.getTime() <= cutoff && !options.keep?.(r.key);
  const deletedKeys: string[] = [];
  for (const [deltaspace, refs] of references) {
    const candidates = refs.filter(old);
    if (candidates.length === 0) continue;
    if (!withDeltas.has(deltaspace)) {
      if (options.dryRun) deletedKeys.push(...candidates.map((r) => r.key));
      else deletedKeys.push(...(await retireAll(ctx, bucket, deltaspace, candidates)));
      continue;
    }
    // Several references and deltas: only the ones no delta names are orphans.
    if (refs.length > 1) deletedKeys.push(...(await dropUnnamed(ctx, bucket, deltaspace, candidates, options.dryRun === true)));
  }
  return { deletedKeys };
}

/** The references a deltaspace's deltas name: key -> SHA-256 they expect (a HEAD per delta). */
async function namedReferences(ctx: ServiceContext, bucket: string, deltaspace: string): Promise<Map<string, string>> {
  const deltas: string[] = [];
  let token: string | undefined;
  do {
    const listed = await ctx.storage.list(bucket, { prefix: deltaspacePrefix(deltaspace), delimiter: '/', continuationToken: token });
    deltas.push(...listed.objects.filter((o) => hasDeltaSuffix(o.key)).map((o) => o.key));
    token = listed.nextContinuationToken;
  } while (token);
  const named = new Map<string, string>();
  await mapLimit(deltas, ctx.listConcurrency, async (key) => {
    const head = await ctx.storage.head(bucket, key);
    if (!head) return;
    const refKey = readField(head.metadata, FIELD.refKey);
    const sha = readField(head.metadata, FIELD.refSha256);
    if (refKey !== undefined && sha !== undefined) named.set(refKey, sha.toLowerCase());
  });
  return named;
}

async function dropUnnamed(
  ctx: ServiceContext,
  bucket: string,
  deltaspace: string,
  candidates: ObjectSummary[],
  dryRun: boolean,
): Promise<string[]> {
  const named = await namedReferences(ctx, bucket, deltaspace);
  const dropped: string[] = [];
  for (const ref of candidates) {
    const parsed = parseReferenceKey(ref.key);
    if (!parsed || named.has(ref.key)) continue;
    if (parsed.kind === 'deleting') {
      const restoreTo = [...named].find(([, sha]) => sha === parsed.sha256)?.[0];
      if (restoreTo !== undefined && !(await ctx.storage.head(bucket, restoreTo))) {
        ctx.logger.warn('restoring a reference an interrupted delete left parked', { key: s3Url(bucket, restoreTo) });
        if (!dryRun) await ctx.storage.copy(bucket, ref.key, bucket, restoreTo);
      }
      if (!dryRun) await deleteIfPresent(ctx.storage, bucket, ref.key);
      dropped.push(ref.key);
      continue;
    }
    if (dryRun) {
      dropped.push(ref.key);
      continue;
    }
    const info = await referenceInfo(ctx, bucket, ref);
    const stillNamed = async (): Promise<boolean> => (await namedReferences(ctx, bucket, deltaspace)).has(ref.key);
    if (info === null || (await ctx.references.retire(bucket, info, stillNamed))) dropped.push(ref.key);
  }
  return dropped;
}

/** Retire every reference of a deltaspace that has no delta left; returns the keys removed. */
async function retireAll(ctx: ServiceContext, bucket: string, deltaspace: string, refs: ObjectSummary[]): Promise<string[]> {
  const retired: string[] = [];
  const stillNeeded = (): Promise<boolean> => hasDeltas(ctx, bucket, deltaspace);
  for (const ref of refs) {
    const parsed = parseReferenceKey(ref.key);
    if (parsed?.kind === 'deleting') {
      if (await ctx.references.dropParked(bucket, ref.key, stillNeeded)) retired.push(ref.key);
      continue;
    }
    const info = await referenceInfo(ctx, bucket, ref);
    if (info === null || (await ctx.references.retire(bucket, info, stillNeeded))) retired.push(ref.key);
  }
  return retired;
}

/**
 * Key, SHA-256 and size of a listed reference; null when it is already gone, or when it is
 * a legacy reference nobody can use (no valid dg-file-sha256), which is then deleted outright.
 */
async function referenceInfo(ctx: ServiceContext, bucket: string, ref: ObjectSummary): Promise<ReferenceInfo | null> {
  const parsed = parseReferenceKey(ref.key);
  if (parsed?.sha256 !== undefined) return { key: ref.key, sha256: parsed.sha256, size: ref.size };
  const head = await ctx.storage.head(bucket, ref.key);
  if (!head) return null;
  try {
    return { key: ref.key, sha256: readSha256(head.metadata, FIELD.fileSha256, s3Url(bucket, ref.key), true), size: head.size };
  } catch (err) {
    if (!isDeltaGliderError(err, 'ERR_DG_BAD_METADATA')) throw err;
    await deleteIfPresent(ctx.storage, bucket, ref.key);
    return null;
  }
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

