/**
 * Turns DeltaGliderClientOptions into the parts the client needs: the store (S3 or file://),
 * reference cache, DeltaService, bucket ACLs. Defaults follow the CLI's (AWS_* and DG_*
 * environment variables), so library and CLI see the same store and share the cache.
 */
import { S3Client } from '@aws-sdk/client-s3';

import { createMetrics } from '../adapters/create-metrics';
import { createReferenceCache } from '../adapters/create-reference-cache';
import { createStorage } from '../adapters/create-storage';
import { bucketAclFor } from '../adapters/s3-bucket-acl';
import { buildS3ClientConfig } from '../adapters/s3-client-config';
import { S3Storage } from '../adapters/s3-storage';
import { DeltaService } from '../core/delta-service';
import type { DeltaServiceApi } from '../core/types';
import type { BucketAclPort } from '../ports/bucket-acl';
import { type Clock, systemClock } from '../ports/clock';
import { type Logger, nullLogger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import type { ReferenceCache } from '../ports/reference-cache';
import type { StoragePort } from '../ports/storage';
import type { DeltaGliderClientOptions } from './options';

export interface ClientParts {
  storage: StoragePort;
  service: DeltaServiceApi;
  referenceCache?: ReferenceCache;
  bucketAcl?: BucketAclPort;
  clock: Clock;
  logger: Logger;
  tempDir?: string;
  close(): Promise<void>;
}

export function buildClientParts(options: DeltaGliderClientOptions): ClientParts {
  const env = options.env ?? process.env;
  const logger = options.logger ?? nullLogger;
  // DG_METRICS=cloudwatch|logging|noop, as for the CLI, unless the caller brings its own.
  const metrics: Metrics = options.metrics ?? createMetrics(env, logger);
  const clock = options.clock ?? systemClock;
  const endpointUrl = options.endpointUrl ?? options.endpoint;

  let ownedClient: S3Client | undefined;
  let client = options.s3Client;
  const isFileStore = (endpointUrl ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? '').startsWith('file:');
  if (!client && options.credentials && !isFileStore && !options.storage) {
    // Explicit credentials: build the S3Client ourselves with the adapter's settings.
    const config = buildS3ClientConfig({ endpointUrl, region: options.region, forcePathStyle: options.forcePathStyle }, env);
    client = ownedClient = new S3Client({ ...config, credentials: options.credentials });
  }
  const storage =
    options.storage ??
    createStorage({ endpointUrl, region: options.region, profile: options.profile, forcePathStyle: options.forcePathStyle, client }, env);

  const referenceCache =
    options.referenceCache ??
    createReferenceCache({
      ...env,
      ...(options.cacheDir ? { DG_CACHE_DIR: options.cacheDir } : {}),
      ...(options.cacheBackend ? { DG_CACHE_BACKEND: options.cacheBackend } : {}),
    });

  const service = new DeltaService({
    storage,
    referenceCache,
    clock,
    logger,
    metrics,
    env,
    ...(options.maxRatio !== undefined ? { maxRatio: options.maxRatio } : {}),
    ...(options.tempDir ? { tempDir: options.tempDir } : {}),
  });

  const bucketAcl = options.bucketAcl ?? bucketAclFor(storage);

  return {
    storage,
    service,
    referenceCache,
    bucketAcl,
    clock,
    logger,
    tempDir: options.tempDir,
    async close() {
      await metrics.flush();
      if (!options.storage && storage instanceof S3Storage) storage.close();
      ownedClient?.destroy();
    },
  };
}
