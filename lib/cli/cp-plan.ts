/**
 * Turns `cp SRC DST` into a list of single transfers, applying the destination rules:
 * - to S3: a key ending in '/' (or a bucket alone) gets the source's file name appended,
 *   any other key is the object's name (`cp a.zip s3://b/p/renamed.zip`);
 * - to a local path: an existing directory or a path ending in '/' gets the object's base
 *   name, anything else is the file name;
 * - recursive: relative paths below the source root, filtered by --include/--exclude;
 *   a single file or object is filtered by its name.
 */
import { basename, join, resolve, sep } from 'node:path';

import { DeltaGliderError } from '../errors';
import type { DeltaServiceApi } from '../core/types';
import { usageError } from './context';
import type { PathFilter } from './filters';
import { assertSafeRelative, isSafeName, walkFiles, statOrNull } from './local-files';
import { listLogicalObjects } from './s3-listing';
import { directoryPrefix, formatS3Url, isS3Url, keyBaseName, parseS3Url, S3Location } from './s3-url';

export type Endpoint =
  | { kind: 'local'; path: string; display: string }
  | { kind: 's3'; bucket: string; key: string }
  | { kind: 'stdio' };

export interface Transfer {
  operation: 'upload' | 'download' | 'copy';
  from: Endpoint;
  to: Endpoint;
  /** Bytes expected, for progress bars (undefined for stdin). */
  size?: number;
}

export function describeEndpoint(endpoint: Endpoint): string {
  if (endpoint.kind === 's3') return formatS3Url(endpoint.bucket, endpoint.key);
  if (endpoint.kind === 'stdio') return '-';
  return endpoint.display;
}

export interface PlanInput {
  source: string;
  destination: string;
  recursive: boolean;
  filter: PathFilter;
  cwd: string;
  service: DeltaServiceApi;
}

export interface PlanArguments {
  source: string;
  destination: string;
  recursive: boolean;
}

/** Checks the shape of SRC and DST before anything touches storage (usage errors: exit 2). */
export function checkArguments({ source, destination, recursive }: PlanArguments): void {
  const fromS3 = isS3Url(source);
  const toS3 = isS3Url(destination);
  if (fromS3) parseS3Url(source);
  if (toS3) parseS3Url(destination);
  if (!fromS3 && !toS3) {
    throw usageError(`cp needs an s3:// URL on at least one side (got '${source}' and '${destination}')`);
  }
  if (source === '-' || destination === '-') {
    if (recursive) throw usageError('--recursive cannot be used with - (stdin/stdout)');
    if (source === '-' && destination === '-') throw usageError('cp - - copies nothing; give an s3:// URL');
  }
  if (source === '-') {
    const { key } = parseS3Url(destination);
    if (key === '' || key.endsWith('/')) {
      throw usageError(`uploading from stdin needs a full object key, e.g. ${destination.replace(/\/?$/, '/')}name`);
    }
  }
}

export async function planTransfers(input: PlanInput): Promise<Transfer[]> {
  const { source, destination } = input;
  if (!isS3Url(source)) return planUploads(input, parseS3Url(destination));
  const from = parseS3Url(source);
  if (isS3Url(destination)) return planCopies(input, from, parseS3Url(destination));
  return planDownloads(input, from);
}

/** The object key for an upload or copy of something named `name`. */
export function destinationKey(to: S3Location, name: string): string {
  return to.key === '' || to.key.endsWith('/') ? to.key + name : to.key;
}

async function planUploads(input: PlanInput, to: S3Location): Promise<Transfer[]> {
  if (input.source === '-') {
    return [{ operation: 'upload', from: { kind: 'stdio' }, to: { kind: 's3', ...to } }];
  }
  const path = resolve(input.cwd, input.source);
  const info = await statOrNull(path);
  if (!info) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `local path ${input.source} does not exist`);
  if (!input.recursive) {
    if (info.isDirectory()) throw usageError(`${input.source} is a directory; use --recursive to upload a directory`);
    // As with aws s3 cp, the filters apply to a single file too, by its name.
    if (!input.filter.includes(basename(path))) return [];
    return [
      {
        operation: 'upload',
        from: { kind: 'local', path, display: input.source },
        to: { kind: 's3', bucket: to.bucket, key: destinationKey(to, basename(path)) },
        size: Number(info.size),
      },
    ];
  }
  if (!info.isDirectory()) throw usageError(`--recursive needs a directory, but ${input.source} is a file`);
  const prefix = directoryPrefix(to.key);
  return (await walkFiles(path))
    .filter((file) => input.filter.includes(file.relative))
    .map((file) => ({
      operation: 'upload' as const,
      from: { kind: 'local' as const, path: file.path, display: join(input.source, file.relative) },
      to: { kind: 's3' as const, bucket: to.bucket, key: prefix + file.relative },
      size: file.size,
    }));
}

async function planDownloads(input: PlanInput, from: S3Location): Promise<Transfer[]> {
  if (!input.recursive) {
    const object = await requireObject(input.service, from);
    if (!input.filter.includes(keyBaseName(object.key))) return [];
    const to: Endpoint =
      input.destination === '-'
        ? { kind: 'stdio' }
        : await localDestination(input.cwd, input.destination, keyBaseName(object.key), formatS3Url(from.bucket, object.key));
    return [{ operation: 'download', from: { kind: 's3', ...from }, to, size: object.size }];
  }
  const root = resolve(input.cwd, input.destination);
  const existing = await statOrNull(root);
  if (existing && !existing.isDirectory()) throw usageError(`${input.destination} is a file; a recursive download needs a directory`);
  const transfers: Transfer[] = [];
  for await (const { object, relative } of objectsBelow(input, from)) {
    const path = join(root, ...relative.split('/'));
    transfers.push({
      operation: 'download',
      from: { kind: 's3', bucket: from.bucket, key: object.key },
      to: { kind: 'local', path, display: join(input.destination, ...relative.split('/')) },
      size: object.size,
    });
  }
  return transfers;
}

async function planCopies(input: PlanInput, from: S3Location, to: S3Location): Promise<Transfer[]> {
  if (!input.recursive) {
    const object = await requireObject(input.service, from);
    if (!input.filter.includes(keyBaseName(object.key))) return [];
    return [
      {
        operation: 'copy',
        from: { kind: 's3', ...from },
        to: { kind: 's3', bucket: to.bucket, key: destinationKey(to, keyBaseName(object.key)) },
        size: object.size,
      },
    ];
  }
  const prefix = directoryPrefix(to.key);
  const transfers: Transfer[] = [];
  for await (const { object, relative } of objectsBelow(input, from)) {
    transfers.push({
      operation: 'copy',
      from: { kind: 's3', bucket: from.bucket, key: object.key },
      to: { kind: 's3', bucket: to.bucket, key: prefix + relative },
      size: object.size,
    });
  }
  return transfers;
}

async function* objectsBelow(input: PlanInput, from: S3Location) {
  const prefix = directoryPrefix(from.key);
  for await (const object of listLogicalObjects(input.service, from.bucket, prefix)) {
    const relative = object.key.slice(prefix.length);
    // "Folder" marker objects have nothing to transfer.
    if (relative === '' || relative.endsWith('/')) continue;
    if (!input.filter.includes(relative)) continue;
    assertSafeRelative(relative, `key ${formatS3Url(from.bucket, object.key)}`);
    yield { object, relative };
  }
}

async function requireObject(service: DeltaServiceApi, from: S3Location) {
  if (from.key === '' || from.key.endsWith('/')) {
    throw usageError(`${formatS3Url(from.bucket, from.key)} is a prefix; give an object key or use --recursive`);
  }
  const object = await service.head(from.bucket, from.key);
  if (!object) throw new DeltaGliderError('ERR_DG_NOT_FOUND', `${formatS3Url(from.bucket, from.key)} does not exist`);
  return object;
}

async function localDestination(cwd: string, destination: string, name: string, where: string): Promise<Endpoint> {
  const path = resolve(cwd, destination);
  const namesDirectory = destination.endsWith('/') || destination.endsWith(sep) || (await statOrNull(path))?.isDirectory();
  if (!namesDirectory) return { kind: 'local', path, display: destination };
  // The key's last segment becomes the file name: `..` or a control character must not.
  if (!isSafeName(name)) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `refusing to download ${where} under the name ${JSON.stringify(name)}; give a file name as the destination`);
  }
  return { kind: 'local', path: join(path, name), display: join(destination, name) };
}
