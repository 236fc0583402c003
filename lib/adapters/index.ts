/** The real things behind lib/ports: storage, reference caches, logger, metrics. */
export { S3Storage, type S3StorageOptions } from './s3-storage';
export { buildS3ClientConfig, resolveRegion, type S3ConnectionOptions } from './s3-client-config';
export { resolveEndpoint } from './endpoint';
export { mapS3Error } from './s3-errors';
export { silenceSdkNodeVersionWarning } from './sdk-node-warning';
export { FsStorage } from './fs-storage';
export { createStorage, type CreateStorageOptions } from './create-storage';
export { FsReferenceCache, type FsReferenceCacheOptions } from './fs-reference-cache';
export { MemoryReferenceCache, type MemoryReferenceCacheOptions } from './memory-reference-cache';
export { createReferenceCache, defaultCacheDir } from './create-reference-cache';
export { parseEncryptionKey } from './cache-encryption';
export { createLogger, formatLine, parseLogLevel, type LoggerOptions } from './logger';
export { NoopMetrics } from './noop-metrics';
export { LoggingMetrics } from './logging-metrics';
export { CloudWatchMetrics, type CloudWatchMetricsOptions, type PutMetricDataSender } from './cloudwatch-metrics';
export { createMetrics } from './create-metrics';
export { S3BucketAcl, bucketAclFor, requireBucketAcl } from './s3-bucket-acl';
