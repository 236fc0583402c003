/**
 * `deltaglider ls [s3://bucket[/prefix]]` — like `aws s3 ls`, but showing logical names
 * (`app.zip`, not `app.zip.delta`) with their ORIGINAL sizes, and hiding DeltaGlider's own
 * objects (reference.bin, .deltaglider/).
 */
import type { Argv, CommandModule } from 'yargs';

import type { LogicalObject } from '../../core/types';
import type { CliContext } from '../context';
import { bucketLine, humanSize, objectLine, prefixLine } from '../format';
import { GlobalArgs, openRuntime, Runtime, withGlobalOptions } from '../runtime';
import { isHiddenKey } from '../../core/keys';
import { listLogicalObjects } from '../s3-listing';
import { parseS3Url } from '../s3-url';

interface LsArgs extends GlobalArgs {
  path?: string;
  recursive?: boolean;
  humanReadable?: boolean;
  summarize?: boolean;
}

export function lsCommand(ctx: CliContext): CommandModule<object, LsArgs> {
  return {
    command: 'ls [path]',
    describe: 'List buckets, or the objects under s3://bucket/prefix (original sizes)',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('path', { type: 'string', describe: 's3://bucket[/prefix]; none lists buckets' })
          .option('recursive', { type: 'boolean', describe: 'List every object under the prefix' })
          .option('human-readable', { type: 'boolean', describe: 'Sizes as KiB, MiB, GiB' })
          .option('summarize', { type: 'boolean', describe: 'Print the number of objects and their total size' }),
      ),
    handler: async (args: LsArgs) => {
      const runtime = openRuntime(args, ctx.io);
      try {
        if (args.path === undefined || args.path === '' || args.path.toLowerCase() === 's3://') {
          await listBuckets(ctx, runtime, args);
        } else {
          await listObjects(ctx, runtime, args, args.path);
        }
      } finally {
        await runtime.close();
      }
    },
  };
}

async function listBuckets(ctx: CliContext, runtime: Runtime, args: LsArgs): Promise<void> {
  const buckets = await runtime.storage.listBuckets();
  if (args.json) {
    ctx.json({ buckets: buckets.map((b) => ({ name: b.name, creationDate: b.creationDate?.toISOString() })) });
    return;
  }
  for (const bucket of buckets) ctx.out(bucketLine(bucket.name, bucket.creationDate));
}

interface ListingEntry {
  key: string;
  size: number;
  storedSize: number;
  kind: LogicalObject['kind'];
  /** Deltas: `vcdiff` (readable by the Python DeltaGlider and xdelta3) or `dgd` (DeltaGlider's own). */
  deltaFormat?: string;
  lastModified?: string;
}

async function listObjects(ctx: CliContext, runtime: Runtime, args: LsArgs, path: string): Promise<void> {
  const { bucket, key: prefix } = parseS3Url(path);
  const human = Boolean(args.humanReadable);
  // Names are shown relative to the "directory" of the prefix, as aws does: `ls s3://b/a/`
  // prints `x.zip` for `a/x.zip`; --recursive prints full keys.
  const shownFrom = args.recursive ? 0 : prefix.lastIndexOf('/') + 1;
  const objects: ListingEntry[] = [];
  const prefixes: string[] = [];
  let objectCount = 0;
  let totalSize = 0;
  let totalStoredSize = 0;

  const visit = (object: LogicalObject): void => {
    objectCount++;
    totalSize += object.size;
    totalStoredSize += object.storedSize;
    const entry: ListingEntry = {
      key: object.key,
      size: object.size,
      storedSize: object.storedSize,
      kind: object.kind,
      ...(object.deltaFormat ? { deltaFormat: object.deltaFormat } : {}),
      ...(object.lastModified ? { lastModified: object.lastModified.toISOString() } : {}),
    };
    if (args.json) objects.push(entry);
    else ctx.out(objectLine(object.key.slice(shownFrom), object.size, object.lastModified, human));
  };

  if (args.recursive) {
    for await (const object of listLogicalObjects(runtime.service, bucket, prefix)) visit(object);
  } else {
    let token: string | undefined;
    do {
      const page = await runtime.service.list(bucket, { prefix, delimiter: '/', continuationToken: token });
      for (const common of page.commonPrefixes) {
        if (isHiddenKey(common)) continue;
        if (args.json) prefixes.push(common);
        else ctx.out(prefixLine(common.slice(shownFrom)));
      }
      for (const object of page.objects) if (!isHiddenKey(object.key)) visit(object);
      token = page.nextContinuationToken;
    } while (token);
  }

  if (args.json) {
    ctx.json({
      bucket,
      prefix,
      ...(args.recursive ? {} : { prefixes }),
      objects,
      ...(args.summarize ? { summary: { totalObjects: objectCount, totalSize, totalStoredSize } } : {}),
    });
  } else if (args.summarize) {
    ctx.out('');
    ctx.out(`Total Objects: ${objectCount}`);
    ctx.out(`   Total Size: ${human ? humanSize(totalSize) : totalSize}`);
  }
}
