/**
 * DeltaService: the domain operations on logical keys (put, get, openRead, head, list,
 * delete, deleteRecursive, verify) over the ports. Each operation lives in its own module;
 * this class wires the ports and settings together.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';

import { type Clock, systemClock } from '../ports/clock';
import { type Logger, nullLogger } from '../ports/logger';
import { type Metrics, noopMetrics } from '../ports/metrics';
import type { ReferenceCache } from '../ports/reference-cache';
import type { StoragePort } from '../ports/storage';
import { BucketConfigStore, type DeltaFormatSetting, parseDeltaFormat } from './bucket-config';
import { type CoreCodec, lazyCodec } from './codec';
import type { ServiceContext } from './context';
import { deleteLogical, deleteOrphanReferences, deletePrefix } from './deletion';
import { downloadToFile, openReadStream, verifyObject } from './download';
import { baseName } from './keys';
import { listLogical } from './listing';
import { locate, toLogicalObject } from './lookup';
import { DeltaPolicy, parseDeltaExtensions, parseMaxRatio } from './policy';
import { ReferenceStore } from './reference';
import { ReferencePool } from './reference-pool';
import { scratchDir, spoolToFile } from './temp-files';
import { defaultToolName } from './tool-version';
import type {
  DeltaServiceApi, LogicalObject, ServiceDeleteResult, ServiceGetOptions, ServiceGetResult, ServiceListOptions,
  ServiceListPage, ServicePutOptions, ServicePutResult, ServiceVerifyOptions, VerifyResult,
} from './types';
import { uploadFile } from './upload';

export interface DeltaServiceOptions {
  storage: StoragePort;
  referenceCache: ReferenceCache;
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  /** Default for put's maxRatio; else `DG_MAX_RATIO`; else 0.5. */
  maxRatio?: number;
  /** Delta-candidate extensions: a list, or a `DG_DELTA_EXTENSIONS`-style string; else that variable; else the defaults. */
  deltaExtensions?: readonly string[] | string;
  /** Scratch space for spooled uploads and deltas (default: the OS temp dir). */
  tempDir?: string;
  /** Written as dg-tool (default `deltaglider-node/<package version>`). */
  toolName?: string;
  /** The codec (default: lib/codec, loaded on first use). */
  codec?: CoreCodec;
  /** HEADs in flight when a listing fetches delta sizes (default 12). */
  listConcurrency?: number;
  /**
   * Which deltas to write: 'vcdiff' keeps every object readable by the Python DeltaGlider
   * and xdelta3; 'auto' lets DeltaGlider use its own archive-aware deltas where smaller.
   * Default: DG_DELTA_FORMAT; else 'auto', except in deltaspaces the Python tool writes to.
   * A bucket's pinned setting (`deltaglider config set`) wins when it says 'vcdiff'.
   */
  deltaFormat?: DeltaFormatSetting;
  /** Environment read for DG_MAX_RATIO / DG_DELTA_EXTENSIONS / DG_DELTA_FORMAT (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** An upload writes its reference, then its first delta, within seconds: an hour is safe. */
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;

export class DeltaService implements DeltaServiceApi {
  private readonly ctx: ServiceContext;

  constructor(options: DeltaServiceOptions) {
    const env = options.env ?? process.env;
    const metrics = options.metrics ?? noopMetrics;
    const logger = options.logger ?? nullLogger;
    const extensions =
      typeof options.deltaExtensions === 'string' || options.deltaExtensions === undefined
        ? parseDeltaExtensions(options.deltaExtensions ?? env.DG_DELTA_EXTENSIONS)
        : options.deltaExtensions;
    const codec = options.codec ?? lazyCodec;
    this.ctx = {
      storage: options.storage,
      cache: options.referenceCache,
      references: new ReferenceStore(options.storage, options.referenceCache, metrics, logger),
      encodeReferences: new ReferencePool(codec),
      codec,
      clock: options.clock ?? systemClock,
      logger,
      metrics,
      policy: new DeltaPolicy({ extensions, maxRatio: options.maxRatio ?? parseMaxRatio(env.DG_MAX_RATIO) }),
      tool: options.toolName ?? defaultToolName(),
      tempDir: options.tempDir ?? join(tmpdir(), 'deltaglider'),
      listConcurrency: Math.max(1, options.listConcurrency ?? 12),
      maxRaceRetries: 6,
      firstUploads: new Map(),
      deltaFormat: options.deltaFormat ?? parseDeltaFormat(env.DG_DELTA_FORMAT, 'DG_DELTA_FORMAT'),
      bucketConfigs: new BucketConfigStore(options.storage),
    };
  }

  /** The candidate/ratio policy in force (for CLI messages). */
  get policy(): DeltaPolicy {
    return this.ctx.policy;
  }

  /** Close references kept open for encoding. Optional: idle ones close by themselves. */
  close(): Promise<void> {
    return this.ctx.encodeReferences.close();
  }

  async put(source: string | Readable, bucket: string, key: string, options?: ServicePutOptions): Promise<ServicePutResult> {
    if (typeof source === 'string') return uploadFile(this.ctx, source, bucket, key, options);
    // A stream is spooled first: the encoder needs to read the target once for the delta,
    // and a direct upload needs the SHA-256 before the PUT (it travels in the metadata).
    const scratch = await scratchDir(this.ctx.tempDir);
    try {
      const path = join(scratch.path, baseName(key) || 'upload');
      await spoolToFile(source, path);
      return await uploadFile(this.ctx, path, bucket, key, options);
    } finally {
      await scratch.dispose();
    }
  }

  get(bucket: string, key: string, destinationPath: string, options?: ServiceGetOptions): Promise<ServiceGetResult> {
    return downloadToFile(this.ctx, bucket, key, destinationPath, options);
  }

  openRead(bucket: string, key: string): Promise<{ body: Readable; object: LogicalObject }> {
    return openReadStream(this.ctx, bucket, key);
  }

  async head(bucket: string, key: string): Promise<LogicalObject | null> {
    const located = await locate(this.ctx.storage, bucket, key);
    return located ? toLogicalObject(bucket, located) : null;
  }

  list(bucket: string, options?: ServiceListOptions): Promise<ServiceListPage> {
    return listLogical(this.ctx, bucket, options);
  }

  delete(bucket: string, key: string): Promise<ServiceDeleteResult> {
    return deleteLogical(this.ctx, bucket, key);
  }

  deleteRecursive(bucket: string, prefix: string, options?: { dryRun?: boolean }): Promise<ServiceDeleteResult> {
    return deletePrefix(this.ctx, bucket, prefix, options);
  }

  verify(bucket: string, key: string, options?: ServiceVerifyOptions): Promise<VerifyResult> {
    return verifyObject(this.ctx, bucket, key, options);
  }

  deleteOrphanReferences(
    bucket: string,
    prefix: string,
    options: { dryRun?: boolean; minAgeMs?: number; keep?: (key: string) => boolean } = {},
  ): Promise<ServiceDeleteResult> {
    return deleteOrphanReferences(this.ctx, bucket, prefix, { ...options, minAgeMs: options.minAgeMs ?? ORPHAN_MIN_AGE_MS });
  }
}
