/**
 * Pick the store from the endpoint, as the CLI's --endpoint-url / AWS_ENDPOINT_URL give it:
 * `file:///path` is a local directory (FsStorage), anything else (or nothing) is S3.
 */
import { fileURLToPath } from 'node:url';
import { DeltaGliderError } from '../errors';
import type { StoragePort } from '../ports/storage';
import { resolveEndpoint } from './endpoint';
import { FsStorage } from './fs-storage';
import type { S3StorageOptions } from './s3-storage';

export type CreateStorageOptions = S3StorageOptions;

export function createStorage(options: CreateStorageOptions = {}, env: NodeJS.ProcessEnv = process.env): StoragePort {
  const endpoint = resolveEndpoint(options.endpointUrl, env);
  if (endpoint?.startsWith('file:')) return new FsStorage(fileUrlToDirectory(endpoint));
  // Loaded here, not at import: a file:// store never needs the AWS SDK (~50 ms to load).
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { S3Storage } = require('./s3-storage') as typeof import('./s3-storage');
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
