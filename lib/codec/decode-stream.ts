/**
 * createDecodeStream: VCDIFF delta bytes in (ours or xdelta3's), target bytes out, with the
 * target's SHA-256 computed in the same pass and optionally checked against an expected one.
 */
import { DeltaGliderError } from '../errors';
import { loadBinding, NativeCodec } from './binding';
import { CodecCounts, CodecTransform } from './codec-stream';
import { captureCallSite } from './native-error';
import type { CodecResult, CodecStream, DecodeOptions } from './types';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

class DecodeStream extends CodecTransform {

  constructor(
    private readonly options: DecodeOptions,
    callSite: string,
  ) {
    super(callSite, options.chunkSize);
  }

  protected async openCodec(): Promise<NativeCodec> {
    const expected = this.options.expectedSha256;
    if (expected !== undefined && (typeof expected !== 'string' || !SHA256_HEX.test(expected))) {
      throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', 'expectedSha256 must be 64 hex digits');
    }
    const native = this.openReference(this.options.reference);
    return new (loadBinding().Decoder)(native, { verifyChecksum: this.options.verifyChecksum });
  }

  protected makeResult(sha256: string, counts: CodecCounts): CodecResult | DeltaGliderError {
    const expected = this.options.expectedSha256?.toLowerCase();
    if (expected !== undefined && expected !== sha256) {
      return new DeltaGliderError(
        'ERR_DG_SHA256_MISMATCH',
        `the decoded target's SHA-256 is ${sha256}, expected ${expected} ` +
          '(wrong reference, or a corrupt delta)',
      );
    }
    return { sha256, size: counts.bytesOut, deltaSize: counts.bytesIn };
  }
}

/**
 * A Transform decoding the delta written to it against `options.reference`. `result` is
 * set once it has flushed; with `expectedSha256`, a different target fails the stream with
 * ERR_DG_SHA256_MISMATCH at its end (the bytes have been pushed by then: write them to a
 * temporary place, as decodeFile does).
 */
export function createDecodeStream(options: DecodeOptions = {}): CodecStream {
  return new DecodeStream(options, captureCallSite(createDecodeStream));
}
