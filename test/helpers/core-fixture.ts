/** Shared setup for DeltaService unit tests: memory storage, cache, fixed clock, recorded metrics, temp dirs. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DeltaService, type DeltaServiceOptions } from '../../lib/core';
import type { Metrics } from '../../lib/ports/metrics';
import { MemoryReferenceCache } from './memory-reference-cache';
import { MemoryStorage, type MemoryStorageOptions } from './memory-storage';
import { randomBytes as seededBytes } from './gen-data';

export const BUCKET = 'bucket';
export const FIXED_NOW = new Date('2026-03-04T05:06:07.000Z');

export class RecordingMetrics implements Metrics {
  readonly counts = new Map<string, number>();
  increment(name: string, value = 1, tags?: Record<string, string>): void {
    const key = tags ? `${name}{${Object.entries(tags).map(([k, v]) => `${k}=${v}`).join(',')}}` : name;
    this.counts.set(key, (this.counts.get(key) ?? 0) + value);
  }
  timing(): void {}
  gauge(): void {}
  async flush(): Promise<void> {}
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }
}

export interface Fixture {
  storage: MemoryStorage;
  cache: MemoryReferenceCache;
  metrics: RecordingMetrics;
  service: DeltaService;
  dir: string;
  /** Write a file in the fixture's temp dir and return its path. */
  file(name: string, bytes: Buffer): string;
  /** A fresh service over the same storage (another process / CLI run). */
  another(options?: Partial<DeltaServiceOptions>): DeltaService;
  cleanup(): void;
}

export function makeFixture(storageOptions: MemoryStorageOptions = {}, serviceOptions: Partial<DeltaServiceOptions> = {}): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'dg-core-test-'));
  const storage = new MemoryStorage({ buckets: [BUCKET], ...storageOptions });
  const cache = new MemoryReferenceCache();
  const metrics = new RecordingMetrics();
  const make = (extra: Partial<DeltaServiceOptions> = {}): DeltaService =>
    new DeltaService({
      storage, referenceCache: cache, metrics, clock: { now: () => FIXED_NOW }, tempDir: join(dir, 'tmp'),
      toolName: 'deltaglider-node/test', env: {}, ...serviceOptions, ...extra,
    });
  return {
    storage, cache, metrics, dir, service: make(),
    file(name, bytes) {
      const path = join(dir, name);
      writeFileSync(path, bytes);
      return path;
    },
    another: make,
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      rmSync(cache.dir, { recursive: true, force: true });
    },
  };
}

/** Deterministic pseudo-random bytes, so tests are reproducible. */
export { seededBytes };

/** A "next build": the base with a few small edits and an insertion. */
export function similarTo(base: Buffer, seed: number): Buffer {
  const copy = Buffer.from(base);
  const patch = seededBytes(64, seed);
  for (let i = 0; i < 4; i++) patch.copy(copy, ((seed * 7919 + i * 4099) % (copy.length - 64)) >>> 0, i * 16, i * 16 + 16);
  const at = Math.floor(copy.length / 3);
  return Buffer.concat([copy.subarray(0, at), seededBytes(100, seed + 1), copy.subarray(at)]);
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The keys of a bucket, with each write-once reference key (`<ds>/.deltaglider/refs/<sha256>-
 * <nonce>/reference.bin`, whose nonce is random) shown as `<ds>/[ref <first 8 hex of sha256>]`.
 */
export function layout(storage: MemoryStorage, bucket = BUCKET): string[] {
  return storage.keys(bucket).map((key) => key.replace(/(^|\/)\.deltaglider\/refs\/([0-9a-f]{8})[0-9a-f]{56}-[0-9a-f]{12}\/reference\.bin$/, '$1[ref $2]')).sort();
}

/** The key of the one write-once reference of a deltaspace; fails unless there is exactly one. */
export function referenceKeyIn(storage: MemoryStorage, deltaspace: string, bucket = BUCKET): string {
  const prefix = `${deltaspace === '' ? '' : `${deltaspace}/`}.deltaglider/refs/`;
  const refs = storage.keys(bucket).filter((k) => k.startsWith(prefix) && k.endsWith('/reference.bin'));
  if (refs.length !== 1) throw new Error(`expected one reference in "${deltaspace}", found ${JSON.stringify(refs)}`);
  return refs[0];
}
