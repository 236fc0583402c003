/**
 * `deltaglider rm s3://bucket/key` (or `--recursive` a prefix) — like `aws s3 rm`, but
 * delta-aware through the service: `key` removes `key` or `key.delta`, and a deltaspace's
 * reference.bin goes once no delta needs it any more.
 */
import type { Argv, CommandModule } from 'yargs';

import { DeltaGliderError } from '../../errors';
import type { DeltaServiceApi, LogicalObject } from '../../core/types';
import { CliContext, EXIT_FAILURE, usageError } from '../context';
import { filterFromArgs, PathFilter } from '../filters';
import { mapLimit } from '../../core/concurrency';
import { GlobalArgs, openRuntime, withGlobalOptions } from '../runtime';
import { listLogicalObjects } from '../s3-listing';
import { directoryPrefix, formatS3Url, parseS3Url } from '../s3-url';
import { failure, resultLine, TransferResult } from '../transfer-report';

interface RmArgs extends GlobalArgs {
  path: string;
  recursive?: boolean;
  include?: string[];
  exclude?: string[];
  dryrun?: boolean;
  onlyShowErrors?: boolean;
}

const PARALLEL_DELTASPACES = 4;

export function rmCommand(ctx: CliContext): CommandModule<object, RmArgs> {
  return {
    command: 'rm <path>',
    describe: 'Delete an object, or every object under a prefix with --recursive',
    builder: (y: Argv) =>
      withGlobalOptions(
        y
          .positional('path', { type: 'string', demandOption: true, describe: 's3://bucket/key or s3://bucket/prefix/' })
          .option('recursive', { type: 'boolean', describe: 'Delete every object under the prefix' })
          .option('include', { type: 'string', array: true, describe: 'Delete paths matching this glob (later filters win)' })
          .option('exclude', { type: 'string', array: true, describe: 'Keep paths matching this glob (later filters win)' })
          .option('dryrun', { type: 'boolean', describe: 'Show what would be deleted, delete nothing' })
          .option('only-show-errors', { type: 'boolean', describe: 'Print only errors' }),
      ),
    handler: (args: RmArgs) => runRm(ctx, args),
  };
}

async function runRm(ctx: CliContext, args: RmArgs): Promise<void> {
  const { bucket, key } = parseS3Url(args.path);
  if (!args.recursive && (key === '' || key.endsWith('/'))) {
    throw usageError(`${args.path} is a prefix; give an object key or use --recursive`);
  }
  const filter = filterFromArgs(ctx.argv, args.include, args.exclude);
  const runtime = openRuntime(args, ctx.io);
  try {
    const results = args.recursive
      ? await removePrefix(runtime.service, bucket, directoryPrefix(key), filter, Boolean(args.dryrun))
      : [await removeOne(runtime.service, bucket, key, Boolean(args.dryrun))];
    const quiet = Boolean(args.quiet || args.onlyShowErrors);
    if (args.json) ctx.json(args.recursive ? results : results[0]);
    else {
      for (const result of results) {
        if (result.status === 'failed') ctx.err(resultLine(result));
        else if (!quiet) ctx.out(resultLine(result));
      }
    }
    if (results.some((r) => r.status === 'failed')) ctx.fail(EXIT_FAILURE);
  } finally {
    await runtime.close();
  }
}

type DeleteResult = TransferResult & { deletedKeys?: string[] };

async function removeOne(service: DeltaServiceApi, bucket: string, key: string, dryRun: boolean): Promise<DeleteResult> {
  const source = formatS3Url(bucket, key);
  const object = await service.head(bucket, key);
  if (!object) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${source} does not exist`);
  if (dryRun) return { operation: 'delete', source, status: 'dryrun' };
  const { deletedKeys } = await service.delete(bucket, key);
  return { operation: 'delete', source, status: 'ok', deletedKeys };
}

async function removePrefix(
  service: DeltaServiceApi,
  bucket: string,
  prefix: string,
  filter: PathFilter,
  dryRun: boolean,
): Promise<DeleteResult[]> {
  const selected: LogicalObject[] = [];
  for await (const object of listLogicalObjects(service, bucket, prefix)) {
    if (filter.includes(object.key.slice(prefix.length))) selected.push(object);
  }
  const url = (object: LogicalObject) => formatS3Url(bucket, object.key);
  if (dryRun) return selected.map((o) => ({ operation: 'delete', source: url(o), status: 'dryrun' }));
  if (filter.isEmpty) {
    // Everything under the prefix goes, references and internal objects included: one
    // service call that knows the order (deltas before the reference they need).
    const { deletedKeys } = await service.deleteRecursive(bucket, prefix);
    const gone = new Set(deletedKeys);
    return selected.map((o) => ({
      operation: 'delete',
      source: url(o),
      status: gone.has(o.storedKey) || gone.has(o.key) ? 'ok' : 'failed',
      ...(gone.has(o.storedKey) || gone.has(o.key) ? {} : { error: { code: 'ERR_DG_STORAGE', message: 'not deleted' } }),
    }));
  }
  // Objects of one deltaspace are deleted one after another, so the last delete sees that no
  // delta needs the reference any more; deltaspaces run in parallel.
  const byDeltaspace = new Map<string, LogicalObject[]>();
  for (const object of selected) {
    const space = object.key.slice(0, object.key.lastIndexOf('/') + 1);
    byDeltaspace.set(space, [...(byDeltaspace.get(space) ?? []), object]);
  }
  const groups = await mapLimit([...byDeltaspace.values()], PARALLEL_DELTASPACES, async (objects) => {
    const results: DeleteResult[] = [];
    for (const object of objects) {
      try {
        const { deletedKeys } = await service.delete(bucket, object.key);
        results.push({ operation: 'delete', source: url(object), status: 'ok', deletedKeys });
      } catch (err) {
        results.push({ operation: 'delete', source: url(object), status: 'failed', error: failure(err) });
      }
    }
    return results;
  });
  const order = new Map(selected.map((o, i) => [url(o), i]));
  return groups.flat().sort((a, b) => (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0));
}
