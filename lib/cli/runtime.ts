/**
 * The global options every storage command takes, and the one place that turns them into a
 * DeltaService: storage (S3 or a `file:///` directory), reference cache, logger, metrics.
 * Environment variables fill in what the command line leaves out, as the aws CLI does.
 */
import type { Argv } from 'yargs';

import type { DeltaServiceApi } from '../core/types';
import type { BucketAclPort } from '../ports/bucket-acl';
import type { Metrics, StoragePort } from '../ports';
import type { CliIO } from './context';

export interface GlobalArgs {
  endpointUrl?: string;
  region?: string;
  profile?: string;
  json?: boolean;
  quiet?: boolean;
  debug?: boolean;
  /** false with --no-progress. */
  progress?: boolean;
}

/** Adds the global storage options to a command's builder. */
export function withGlobalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  return y
    .option('endpoint-url', {
      type: 'string',
      describe: 'S3 endpoint URL (env AWS_ENDPOINT_URL); file:///path uses a local directory as the store',
    })
    .option('region', { type: 'string', describe: 'AWS region (env AWS_REGION)' })
    .option('profile', { type: 'string', describe: 'Named profile from the AWS config (env AWS_PROFILE)' })
    .option('json', { type: 'boolean', describe: 'Print machine-readable JSON on stdout' })
    .option('quiet', { alias: 'q', type: 'boolean', describe: 'Print nothing but errors' })
    .option('progress', { type: 'boolean', default: true, describe: 'Progress bars on a terminal (--no-progress hides them)' })
    .group(['endpoint-url', 'region', 'profile', 'json', 'quiet', 'progress', 'debug'], 'Global options:') as Argv<
    T & GlobalArgs
  >;
}

export interface Runtime {
  service: DeltaServiceApi;
  storage: StoragePort;
  /** The store's bucket ACLs; throws ERR_DG_NOT_IMPLEMENTED for a store without them. */
  bucketAcl(): BucketAclPort;
  /** Flush metrics and the like; call once the command is done. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  maxRatio?: number;
  deltaFormat?: 'auto' | 'vcdiff';
}

/** `--delta-format`, for the commands that write objects (cp, sync, migrate, mv). */
export const DELTA_FORMAT_OPTION = {
  choices: ['auto', 'vcdiff'] as const,
  describe:
    'auto: DeltaGlider picks the smallest delta, its archive-aware ones included; vcdiff: plain VCDIFF only, readable by the Python DeltaGlider and xdelta3 (env DG_DELTA_FORMAT; a bucket pinned to vcdiff always gets vcdiff)',
};

export function resolveStorageConfig(args: GlobalArgs, env: NodeJS.ProcessEnv): { endpointUrl?: string; region?: string; profile?: string } {
  return {
    endpointUrl: nonEmpty(args.endpointUrl) ?? nonEmpty(env.AWS_ENDPOINT_URL_S3) ?? nonEmpty(env.AWS_ENDPOINT_URL),
    region: nonEmpty(args.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    profile: nonEmpty(args.profile) ?? nonEmpty(env.AWS_PROFILE),
  };
}

export function openRuntime(args: GlobalArgs, io: CliIO, options: RuntimeOptions = {}): Runtime {
  // Loaded on first use, not at import: `--help`, usage errors and storage-free commands
  // then start without the AWS SDK and the native codec. Each adapter comes from its own
  // module: the adapters' index would load the AWS SDK, which a file:// store never needs
  // (S3 storage and CloudWatch metrics load it when they are chosen).
  /* eslint-disable @typescript-eslint/no-var-requires */
  const { DeltaService } = require('../core') as typeof import('../core');
  const { createLogger } = require('../adapters/logger') as typeof import('../adapters/logger');
  const { createMetrics } = require('../adapters/create-metrics') as typeof import('../adapters/create-metrics');
  const { createReferenceCache } = require('../adapters/create-reference-cache') as typeof import('../adapters/create-reference-cache');
  const { createStorage } = require('../adapters/create-storage') as typeof import('../adapters/create-storage');
  /* eslint-enable @typescript-eslint/no-var-requires */
  const level = args.debug ? 'debug' : args.quiet ? 'error' : undefined; // else DG_LOG_LEVEL, else warn
  const logger = createLogger({ stream: io.stderr, env: io.env, ...(level ? { level } : {}) });
  const storage = createStorage(resolveStorageConfig(args, io.env), io.env);
  const metrics: Metrics = createMetrics(io.env, logger);
  const service = new DeltaService({
    storage,
    referenceCache: createReferenceCache(io.env),
    logger,
    metrics,
    env: io.env,
    ...(options.maxRatio !== undefined ? { maxRatio: options.maxRatio } : {}),
    ...(options.deltaFormat !== undefined ? { deltaFormat: options.deltaFormat } : {}),
  });
  return {
    service,
    storage,
    bucketAcl: () => {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { requireBucketAcl } = require('../adapters/s3-bucket-acl') as typeof import('../adapters/s3-bucket-acl');
      return requireBucketAcl(storage);
    },
    close: () => metrics.flush(),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
