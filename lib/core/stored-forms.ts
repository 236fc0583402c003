/**
 * A logical key is stored in one form only: `<key>` (direct) or `<key>.delta`. After a
 * write, the two forms are settled: when both are there, the OLDER one goes — whoever
 * wrote it. The other form counts as older when it was already there, unchanged, before we
 * wrote (a plain re-upload, whatever the clocks say); when it changed meanwhile, a writer
 * of the other form is racing us, and both order the two by the same rule (dg-created-at,
 * then ETag), so they delete the same object and one version survives. Deletes can still
 * cross (each writer looks, then deletes, and S3 has no portable conditional delete), so a
 * writer also checks that a form remains, and writes its own again when none does.
 */
import { deleteIfPresent, type ObjectHead } from '../ports/storage';
import type { ServiceContext } from './context';
import { deltaKeyOf } from './keys';
import { classifyStored } from './lookup';
import { FIELD, readTimestamp } from './metadata';
import type { StorageKind } from './types';

/** What we wrote: its ETag (from the PUT) and the dg-created-at in its metadata. */
export interface WrittenForm {
  kind: StorageKind;
  etag?: string;
  createdAt: Date;
}

/** The ETag of the other form of `key` before we write ours (null: not there). */
export async function otherFormBefore(ctx: ServiceContext, bucket: string, key: string, kind: StorageKind): Promise<string | null> {
  const otherKind = otherKindOf(kind);
  const head = await headAs(ctx, bucket, storedKeyOf(key, otherKind), otherKind);
  return head ? (head.etag ?? '') : null;
}

/**
 * Remove the older of the two forms of `key` if both exist; `before` is what
 * otherFormBefore() said ahead of our write. Returns false when afterwards neither form
 * is there (crossed deletes): the caller writes its form again.
 */
export async function settleForms(ctx: ServiceContext, bucket: string, key: string, ours: WrittenForm, before: string | null): Promise<boolean> {
  const ourKey = storedKeyOf(key, ours.kind);
  const otherKind = otherKindOf(ours.kind);
  const otherKey = storedKeyOf(key, otherKind);
  const other = await headAs(ctx, bucket, otherKey, otherKind);
  if (!other) return true;
  const unchanged = before !== null && (other.etag ?? '') === before;
  const otherIsOlder = unchanged || compareAge(ageOf(other), { time: ours.createdAt.getTime(), etag: ours.etag ?? '' }) < 0;
  ctx.logger.debug('both forms of a key are stored; removing the older', { key, older: otherIsOlder ? otherKey : ourKey });
  await deleteIfPresent(ctx.storage, bucket, otherIsOlder ? otherKey : ourKey);
  const [mine, theirs] = await Promise.all([headAs(ctx, bucket, ourKey, ours.kind), headAs(ctx, bucket, otherKey, otherKind)]);
  return mine !== null || theirs !== null;
}

function otherKindOf(kind: StorageKind): StorageKind {
  return kind === 'direct' ? 'delta' : 'direct';
}

function storedKeyOf(key: string, kind: StorageKind): string {
  return kind === 'delta' ? deltaKeyOf(key) : key;
}

async function headAs(ctx: ServiceContext, bucket: string, storedKey: string, kind: StorageKind): Promise<ObjectHead | null> {
  const head = await ctx.storage.head(bucket, storedKey);
  return head && classifyStored(storedKey, head.metadata) === kind ? head : null;
}

interface Age {
  time: number;
  etag: string;
}

/** When a stored object was written: its dg-created-at, else (other tools) its LastModified. */
function ageOf(head: ObjectHead): Age {
  const created = readTimestamp(head.metadata, FIELD.createdAt) ?? head.lastModified;
  return { time: created?.getTime() ?? 0, etag: head.etag ?? '' };
}

function compareAge(a: Age, b: Age): number {
  if (a.time !== b.time) return a.time - b.time;
  return a.etag < b.etag ? -1 : a.etag > b.etag ? 1 : 0;
}

