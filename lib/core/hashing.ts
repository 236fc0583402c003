/**
 * Streaming SHA-256 for direct objects (no codec involved): a pass-through that hashes what
 * flows by and, when an expected hash is given, fails at the end instead of ending cleanly.
 */
import { createHash } from 'node:crypto';
import { Transform, TransformCallback } from 'node:stream';

import { DeltaGliderError } from '../errors';

export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  private digest: string | undefined;

  constructor(
    private readonly expectedSha256?: string,
    private readonly describe = 'object',
  ) {
    super();
  }

  /** Hex SHA-256 of everything that passed, once the stream has flushed. */
  get sha256(): string | undefined {
    return this.digest;
  }

  get size(): number {
    return this.bytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    if (this.expectedSha256 !== undefined && this.digest !== this.expectedSha256) {
      callback(sha256Mismatch(this.describe, this.expectedSha256, this.digest));
      return;
    }
    callback();
  }
}

export function sha256Mismatch(describe: string, expected: string, actual: string): DeltaGliderError {
  return new DeltaGliderError(
    'ERR_DG_SHA256_MISMATCH',
    `${describe}: SHA-256 of the rebuilt bytes is ${actual}, expected ${expected}`,
  );
}
