/**
 * SHA-256 with the addon's hasher (SHA-NI where the CPU has it), for files stored as-is:
 * hashFile() for a path, createHashStream() to hash while the bytes flow to storage, so an
 * upload reads the file once.
 */
import fs from 'node:fs';
import { Transform, TransformCallback } from 'node:stream';

import { loadBinding, NativeHasher } from './binding';
import { captureCallSite, toCodecError } from './native-error';
import type { HashResult, HashStream } from './types';

/** Chunks at least this big are hashed on the thread pool; smaller ones inline (cheaper). */
const ASYNC_MIN = 64 * 1024;
const READ_CHUNK = 1024 * 1024;

function update(hasher: NativeHasher, chunk: Buffer, done: (err: Error | null) => void): void {
  if (chunk.length >= ASYNC_MIN) {
    hasher.update(chunk, done);
  } else {
    hasher.update(chunk);
    done(null);
  }
}

class HashTransform extends Transform implements HashStream {
  private readonly hasher: NativeHasher = new (loadBinding().Hasher)();
  private hex: string | undefined;

  constructor(private readonly callSite: string) {
    super();
  }

  get digest(): string | undefined {
    return this.hex;
  }

  get size(): number {
    return this.hasher.size;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    update(this.hasher, chunk, (err) => (err ? callback(toCodecError(err, this.callSite)) : callback(null, chunk)));
  }

  override _flush(callback: TransformCallback): void {
    this.hex = this.hasher.digest();
    callback();
  }
}

/** A pass-through that hashes what flows by; `digest` (hex) is set once it has flushed. */
export function createHashStream(): HashStream {
  const callSite = captureCallSite(createHashStream);
  try {
    return new HashTransform(callSite);
  } catch (err) {
    throw toCodecError(err, callSite);
  }
}

/** SHA-256 and size of a file, read once in 1 MiB chunks. */
export async function hashFile(path: string): Promise<HashResult> {
  const callSite = captureCallSite(hashFile);
  try {
    const hasher = new (loadBinding().Hasher)();
    for await (const chunk of fs.createReadStream(path, { highWaterMark: READ_CHUNK })) {
      await new Promise<void>((resolve, reject) => update(hasher, chunk as Buffer, (err) => (err ? reject(err) : resolve())));
    }
    const sha256 = hasher.digest();
    return { sha256, size: hasher.size };
  } catch (err) {
    throw toCodecError(err, callSite);
  }
}

/** Which SHA-256 block function the addon uses: "sha-ni" or "portable". */
export function sha256Impl(): string {
  return loadBinding().sha256Impl();
}
