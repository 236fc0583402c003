/**
 * DeltaGlider for Node, the library: `createClient()` (an S3Client-shaped client storing
 * artifacts as deltas), the codec, the error class, and the domain types.
 */
export * from './client';
export * from './codec';
export { DeltaGliderError, isDeltaGliderError, type DeltaGliderErrorCode } from './errors';
export type * from './core/types';
export { DeltaService, type DeltaServiceOptions } from './core/delta-service';
export type { BucketStats, StatsMode, StatsOptions, StatsResult } from './core/stats';
export type { RehydrateResult } from './core/rehydrate';
export type { PurgeResult } from './core/purge';
export type { MigrateOptions, MigrateSummary, MigrateItem } from './core/migrate';
export type { StoragePort, Clock, Logger, Metrics, ReferenceCache } from './ports';
export type { BucketAclPort, AccessControlPolicy, PutBucketAclInput } from './ports/bucket-acl';
