/**
 * Build the reference cache from the environment:
 *   DG_CACHE_BACKEND        fs (default) | memory
 *   DG_CACHE_DIR            default $XDG_CACHE_HOME/deltaglider/references, else ~/.cache/deltaglider/references
 *   DG_CACHE_MAX_MB         size cap, default 2048
 *   DG_CACHE_ENCRYPTION_KEY 32 bytes (64 hex chars or base64): entries encrypted at rest (fs backend)
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DeltaGliderError } from '../errors';
import type { ReferenceCache } from '../ports/reference-cache';
import { parseEncryptionKey } from './cache-encryption';
import { FsReferenceCache } from './fs-reference-cache';
import { MemoryReferenceCache } from './memory-reference-cache';

const DEFAULT_MAX_MB = 2048;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DG_CACHE_DIR) return env.DG_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'deltaglider', 'references');
}

export function createReferenceCache(env: NodeJS.ProcessEnv = process.env): ReferenceCache {
  const maxBytes = parseMaxMb(env.DG_CACHE_MAX_MB) * 1024 * 1024;
  const backend = (env.DG_CACHE_BACKEND || 'fs').toLowerCase();
  if (backend === 'memory') return new MemoryReferenceCache({ maxBytes });
  if (backend !== 'fs') {
    throw new DeltaGliderError('ERR_DG_USAGE', `DG_CACHE_BACKEND must be "fs" or "memory", got ${JSON.stringify(env.DG_CACHE_BACKEND)}`);
  }
  const encryptionKey = env.DG_CACHE_ENCRYPTION_KEY ? parseEncryptionKey(env.DG_CACHE_ENCRYPTION_KEY) : undefined;
  return new FsReferenceCache({ dir: defaultCacheDir(env), maxBytes, encryptionKey });
}

function parseMaxMb(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_MAX_MB;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new DeltaGliderError('ERR_DG_USAGE', `DG_CACHE_MAX_MB must be a non-negative number, got ${JSON.stringify(text)}`);
  }
  return value;
}
