/** Streaming SHA-256 helpers for the reference caches (node:crypto, constant memory). */
import { createHash, type Hash } from 'node:crypto';
import { Transform } from 'node:stream';

/** A pass-through that hashes (and counts) what flows through it. */
export class HashingPassThrough extends Transform {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}

export function isSha256Hex(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}
