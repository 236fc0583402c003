/**
 * References: `openReference()` for sharing one mapped reference (and its encoder index)
 * across many streams, and the internal resolution of EncodeOptions/DecodeOptions.reference.
 */
import { isUint8Array } from 'node:util/types';

import { DeltaGliderError } from '../errors';
import { loadBinding, NativeReference } from './binding';
import { captureCallSite, toCodecError } from './native-error';
import type { ReferenceHandle, ReferenceInput } from './types';

class SharedReference implements ReferenceHandle {
  constructor(readonly native: NativeReference) {}

  get size(): number {
    return this.native.size;
  }

  get closed(): boolean {
    return this.native.closed;
  }

  buildIndex(): Promise<void> {
    const callSite = captureCallSite(this.buildIndex);
    return indexReference(this.native).catch((err: unknown) => {
      throw toCodecError(err, callSite);
    });
  }

  close(): void {
    this.native.close();
  }
}

/**
 * Opens a reference once for many encodes/decodes: a file path is memory-mapped read-only,
 * a Buffer is held without copying (it must not change while open). Throws ERR_DG_IO
 * (with the errno code as `cause.code`) when the file cannot be opened.
 */
export function openReference(source: string | Buffer): ReferenceHandle {
  const callSite = captureCallSite(openReference);
  try {
    return new SharedReference(new (loadBinding().Reference)(source));
  } catch (err) {
    throw toCodecError(err, callSite);
  }
}

/** What a stream uses: the native reference, and whether the stream must close it. */
export interface ResolvedReference {
  native: NativeReference | null;
  owned: boolean;
}

export function resolveReference(input: ReferenceInput | null | undefined): ResolvedReference {
  if (input === null || input === undefined) return { native: null, owned: false };
  if (input instanceof SharedReference) {
    if (input.closed) {
      throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', 'the reference handle is closed');
    }
    return { native: input.native, owned: false };
  }
  if (typeof input === 'string' || isUint8Array(input)) {
    return { native: new (loadBinding().Reference)(input), owned: true };
  }
  throw new DeltaGliderError(
    'ERR_DG_INVALID_ARGUMENT',
    'reference must be a file path, a Buffer, a handle from openReference(), or null',
  );
}

/** Resolves once the reference's encoder index exists (built off the JS thread, once). */
export function indexReference(native: NativeReference): Promise<void> {
  if (native.indexed) return Promise.resolve();
  return new Promise((resolve, reject) => {
    native.buildIndex((err) => (err ? reject(err) : resolve()));
  });
}
