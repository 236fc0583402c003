/** What the service's parts share: ports, codec, policy and settings. Internal to lib/core. */
import type { Clock } from '../ports/clock';
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import type { ReferenceCache } from '../ports/reference-cache';
import type { StoragePort } from '../ports/storage';
import type { BucketConfigStore, DeltaFormatSetting } from './bucket-config';
import type { CoreCodec } from './codec';
import type { DeltaPolicy } from './policy';
import type { ReferenceStore } from './reference';
import type { ReferencePool } from './reference-pool';

export interface ServiceContext {
  storage: StoragePort;
  cache: ReferenceCache;
  references: ReferenceStore;
  /** References opened for encoding, reused across puts. */
  encodeReferences: ReferencePool;
  codec: CoreCodec;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  policy: DeltaPolicy;
  /** Written as dg-tool, e.g. `deltaglider-node/0.1.0`. */
  tool: string;
  /** Where spooled uploads and deltas are written. */
  tempDir: string;
  /** HEADs in flight at once when a listing fetches metadata. */
  listConcurrency: number;
  /** Attempts to write a delta whose reference stays put (reference races). */
  maxRaceRetries: number;
  /** First uploads in progress, by bucket and deltaspace: others into it wait for their reference. */
  firstUploads: Map<string, Promise<void>>;
  /** The delta format this service was told to write (option or DG_DELTA_FORMAT); undefined: not told. */
  deltaFormat?: DeltaFormatSetting;
  /** Settings buckets pin for every writer (`.deltaglider/config.json`). */
  bucketConfigs: BucketConfigStore;
}

/** Metric names, one place. */
export const METRIC = {
  upload: 'deltaglider.upload',
  uploadBytes: 'deltaglider.upload.bytes',
  storedBytes: 'deltaglider.upload.stored_bytes',
  bytesSaved: 'deltaglider.bytes_saved',
  download: 'deltaglider.download',
  cacheHit: 'deltaglider.reference_cache.hit',
  cacheMiss: 'deltaglider.reference_cache.miss',
  referenceRace: 'deltaglider.reference_race',
  encodeTime: 'deltaglider.encode_ms',
  decodeTime: 'deltaglider.decode_ms',
} as const;
