/**
 * Logical listings: `<name>.delta` shown as `<name>` with its ORIGINAL size, references and
 * `.deltaglider/` hidden. A plain list has no metadata, so each delta's size costs a HEAD;
 * those run with bounded parallelism, and callers that need no sizes can skip them.
 * Paging passes the store's continuation token through, so a page may hold fewer objects
 * than maxKeys (hidden keys are dropped from it).
 */
import { isDeltaGliderError } from '../errors';
import type { ObjectSummary } from '../ports/storage';
import type { ServiceContext } from './context';
import { deltaspaceOf, isHiddenKey, isInternalKey, referenceKeyOf, s3Url } from './keys';
import { classifyStored, logicalKeyOf } from './lookup';
import { FIELD, readField, readSha256, readSize } from './metadata';
import { mapLimit } from './concurrency';
import type { LogicalObject, ServiceListOptions, ServiceListPage } from './types';

export async function listLogical(ctx: ServiceContext, bucket: string, options: ServiceListOptions = {}): Promise<ServiceListPage> {
  const page = await ctx.storage.list(bucket, {
    prefix: options.prefix,
    delimiter: options.delimiter,
    continuationToken: options.continuationToken,
    maxKeys: options.maxKeys,
  });
  const visible = page.objects.filter((o) => !isHiddenKey(o.key));
  const described =
    options.fetchMetadata === false
      ? visible.map((o) => fromSummary(bucket, o))
      : await mapLimit(visible, ctx.listConcurrency, (o) => describe(ctx, bucket, o));
  return {
    objects: described.filter((o): o is LogicalObject => o !== null),
    commonPrefixes: page.commonPrefixes.filter((p) => !isInternalKey(p)),
    nextContinuationToken: page.nextContinuationToken,
  };
}

/** What the key alone tells: a delta's size is then only its stored size. */
function fromSummary(bucket: string, summary: ObjectSummary): LogicalObject {
  const kind = classifyStored(summary.key);
  return {
    bucket,
    key: logicalKeyOf(summary.key, kind),
    storedKey: summary.key,
    kind,
    size: summary.size,
    storedSize: summary.size,
    originalSizeKnown: kind === 'direct',
    lastModified: summary.lastModified,
    etag: summary.etag,
  };
}

/** Deltas get a HEAD for their original size; null when the object vanished meanwhile. */
async function describe(ctx: ServiceContext, bucket: string, summary: ObjectSummary): Promise<LogicalObject | null> {
  const plain = fromSummary(bucket, summary);
  if (plain.kind === 'direct') return plain;
  const head = await ctx.storage.head(bucket, summary.key);
  if (!head) return null;
  const kind = classifyStored(summary.key, head.metadata);
  if (kind === 'direct') return { ...plain, kind, key: summary.key, originalSizeKnown: true, metadata: head.metadata };
  const where = s3Url(bucket, summary.key);
  // A listing stays usable when one object's metadata is bad; get/verify will report it.
  let size: number | undefined;
  let sha256: string | undefined;
  try {
    size = readSize(head.metadata, FIELD.fileSize, where);
    sha256 = readSha256(head.metadata, FIELD.fileSha256, where);
  } catch (err) {
    if (!isDeltaGliderError(err, 'ERR_DG_BAD_METADATA')) throw err;
    ctx.logger.warn('delta with unreadable metadata in listing', { key: where, error: err.message });
  }
  return {
    ...plain,
    size: size ?? head.size,
    originalSizeKnown: size !== undefined,
    sha256,
    contentType: head.contentType,
    metadata: head.metadata,
    referenceKey: readField(head.metadata, FIELD.refKey) ?? referenceKeyOf(deltaspaceOf(summary.key)),
    deltaFormat: readField(head.metadata, FIELD.deltaFormat)?.toLowerCase() ?? 'vcdiff',
  };
}
