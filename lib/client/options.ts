/** What createClient() takes: the S3Client options people already pass, plus DeltaGlider's. */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import type { ReferenceCache } from '../ports/reference-cache';
import type { StoragePort } from '../ports/storage';
import type { BucketAclPort } from '../ports/bucket-acl';

export interface DeltaGliderClientOptions {
  /** S3 endpoint, or `file:///path` to use a local directory as the store (S3Client's name). */
  endpoint?: string;
  /** Same as endpoint (the aws CLI's name). */
  endpointUrl?: string;
  region?: string;
  /** Static credentials or a provider, as S3Client takes them. */
  credentials?: S3ClientConfig['credentials'];
  /** Named profile from ~/.aws/config (ignored when credentials are given). */
  profile?: string;
  /** Path-style URLs (default: true with a custom endpoint). */
  forcePathStyle?: boolean;
  /** Keep a delta only if delta size <= maxRatio * original size (default 0.5). */
  maxRatio?: number;
  /** Where references are cached between calls and processes (default: the adapters' choice, DG_CACHE_DIR). */
  cacheDir?: string;
  /** 'fs' (default, survives the process) or 'memory'. */
  cacheBackend?: 'fs' | 'memory';
  /** A ready-made reference cache (overrides cacheDir / cacheBackend). */
  referenceCache?: ReferenceCache;
  logger?: Logger;
  /** E.g. the CloudWatch adapter; default from DG_METRICS. */
  metrics?: Metrics;
  /** Use this S3Client (its middleware, retries, credentials) for the store. */
  s3Client?: S3Client;
  /** Use this store instead of building one (tests, custom stores). */
  storage?: StoragePort;
  /** Bucket ACLs (default: on the S3 client; unsupported on file://). */
  bucketAcl?: BucketAclPort;
  /** Spool directory for stream uploads and rebuilds (default: the OS temp dir). */
  tempDir?: string;
  clock?: Clock;
  /** Environment to read defaults from (default process.env). */
  env?: NodeJS.ProcessEnv;
}
