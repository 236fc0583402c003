/**
 * GetObject's `Range: bytes=...` on a rebuilt object. The whole object is still read (and its
 * SHA-256 still checked at the end), only the requested bytes are passed on: a range of a
 * delta object cannot be produced without decoding everything before it anyway, and reading
 * on to the end keeps the integrity check.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';

import { DeltaGliderError } from '../errors';

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/** One range of `bytes=a-b`, `bytes=a-` or `bytes=-n` within an object of `size` bytes. */
export function parseByteRange(header: string, size: number): ByteRange {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `unsupported Range "${header}" (one range, bytes=a-b, bytes=a- or bytes=-n)`);
  }
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || end < start) {
    throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `Range "${header}" is not satisfiable for ${size} bytes`);
  }
  return { start, end };
}

/** Passes on bytes [start, end] of `source`, consuming all of it. */
export function sliceStream(source: Readable, range: ByteRange): Readable {
  let offset = 0;
  const slice = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const from = Math.max(range.start - offset, 0);
      const to = Math.min(range.end + 1 - offset, chunk.length);
      offset += chunk.length;
      callback(null, to > from ? chunk.subarray(from, to) : undefined);
    },
  });
  source.on('error', (err) => slice.destroy(err));
  return source.pipe(slice);
}
