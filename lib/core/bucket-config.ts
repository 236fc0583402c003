/**
 * Settings a bucket pins for every client that writes to it, in `.deltaglider/config.json`,
 * so that a fleet of build agents cannot drift apart by one missing environment variable.
 * Today one setting: `delta-format` (`auto`, or `vcdiff` to keep every object readable by
 * the Python DeltaGlider and xdelta3). Read once per bucket and kept for a minute by each
 * process; written by `deltaglider config set`.
 */
import { DeltaGliderError, isDeltaGliderError } from '../errors';
import type { StoragePort } from '../ports/storage';
import { INTERNAL_PREFIX, s3Url } from './keys';

export const BUCKET_CONFIG_KEY = `${INTERNAL_PREFIX}config.json`;

/** The delta formats a writer may be told to use. */
export const DELTA_FORMATS = ['auto', 'vcdiff'] as const;
export type DeltaFormatSetting = (typeof DELTA_FORMATS)[number];

export interface BucketConfig {
  'delta-format'?: DeltaFormatSetting;
}

export const BUCKET_SETTINGS: Record<keyof BucketConfig, { values: readonly string[]; describe: string }> = {
  'delta-format': {
    values: DELTA_FORMATS,
    describe: 'auto: DeltaGlider picks the smallest delta (archive-aware ones included); vcdiff: plain VCDIFF only, readable by the Python DeltaGlider and xdelta3',
  },
};

/** How long a process trusts what it read. */
const TTL_MS = 60_000;

export function parseDeltaFormat(value: string | undefined, where: string): DeltaFormatSetting | undefined {
  if (value === undefined || value === '') return undefined;
  const v = value.trim().toLowerCase();
  if ((DELTA_FORMATS as readonly string[]).includes(v)) return v as DeltaFormatSetting;
  throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${where}: delta format must be one of ${DELTA_FORMATS.join(', ')} (got ${JSON.stringify(value)})`);
}

export class BucketConfigStore {
  private readonly cache = new Map<string, { config: BucketConfig; until: number }>();

  constructor(
    private readonly storage: StoragePort,
    private readonly now: () => number = Date.now,
  ) {}

  /** The bucket's settings ({} when it has none). A config that cannot be read is an error, never ignored. */
  async get(bucket: string): Promise<BucketConfig> {
    const hit = this.cache.get(bucket);
    if (hit && hit.until > this.now()) return hit.config;
    const config = await this.read(bucket);
    this.cache.set(bucket, { config, until: this.now() + TTL_MS });
    return config;
  }

  /** Set (or, with undefined, remove) one setting; every other client sees it within a minute. */
  async set<K extends keyof BucketConfig>(bucket: string, name: K, value: BucketConfig[K] | undefined): Promise<BucketConfig> {
    const config = { ...(await this.read(bucket)) };
    if (value === undefined) delete config[name];
    else config[name] = value;
    await this.storage.put(bucket, BUCKET_CONFIG_KEY, { buffer: Buffer.from(`${JSON.stringify({ version: 1, ...config }, null, 2)}\n`) }, {
      contentType: 'application/json',
    });
    this.cache.set(bucket, { config, until: this.now() + TTL_MS });
    return config;
  }

  private async read(bucket: string): Promise<BucketConfig> {
    const where = s3Url(bucket, BUCKET_CONFIG_KEY);
    let text: string;
    try {
      const got = await this.storage.get(bucket, BUCKET_CONFIG_KEY);
      const chunks: Buffer[] = [];
      for await (const chunk of got.body) chunks.push(Buffer.from(chunk as Buffer));
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (isDeltaGliderError(err, 'ERR_DG_NOT_FOUND')) return {};
      throw err;
    }
    return parseConfig(text, where);
  }
}

function parseConfig(text: string, where: string): BucketConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new DeltaGliderError('ERR_DG_BAD_METADATA', `${where}: not JSON; fix or delete it (deltaglider config unset)`);
  }
  if (typeof doc !== 'object' || doc === null || (doc as { version?: unknown }).version !== 1) {
    throw new DeltaGliderError('ERR_DG_UNSUPPORTED', `${where}: not a version 1 DeltaGlider bucket config (written by a newer version?)`);
  }
  const format = (doc as Record<string, unknown>)['delta-format'];
  return format === undefined ? {} : { 'delta-format': parseDeltaFormat(String(format), where) };
}
