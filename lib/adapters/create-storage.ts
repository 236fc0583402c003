/**
 * Pick the store from the endpoint, as the CLI's --endpoint-url / AWS_ENDPOINT_URL give it:
 * `file:///path` is a local directory (FsStorage), anything else (or nothing) is S3.
 */
import { fileURLToPath } from 'node:url';
import { DeltaGliderError } from '../errors';
import type { StoragePort } from '../ports/storage';
import { FsStorage } from './fs-storage';
import { resolveEndpoint } from './s3-client-config';
import { S3Storage, type S3StorageOptions } from './s3-storage';

export type CreateStorageOptions = S3StorageOptions;

export function createStorage(options: CreateStorageOptions = {}, env: NodeJS.ProcessEnv = process.env): StoragePort {
  const endpoint = resolveEndpoint(options.endpointUrl, env);
  if (endpoint?.startsWith('file:')) return new FsStorage(fileUrlToDirectory(endpoint));
  return new S3Storage({ ...options, endpointUrl: endpoint, env });
}

function fileUrlToDirectory(url: string): string {
  try {
    return fileURLToPath(url);
  } catch (err) {
    throw new DeltaGliderError(
      'ERR_DG_USAGE',
      `invalid file endpoint ${JSON.stringify(url)}: use file:///absolute/path`,
      { cause: err },
    );
  }
}
