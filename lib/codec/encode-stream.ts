/**
 * createEncodeStream: target bytes in, VCDIFF delta bytes out (xdelta3-decodable).
 * The reference's match index is built off the JS thread before the first byte is encoded,
 * and reused when the reference is a shared handle.
 */
import { DeltaGliderError } from '../errors';
import { loadBinding, NativeCodec } from './binding';
import { CodecCounts, CodecTransform } from './codec-stream';
import { captureCallSite } from './native-error';
import { indexReference } from './reference';
import type { CodecResult, CodecStream, EncodeOptions } from './types';

class EncodeStream extends CodecTransform {

  constructor(
    private readonly options: EncodeOptions,
    callSite: string,
  ) {
    super(callSite, options.chunkSize);
  }

  protected async openCodec(): Promise<NativeCodec> {
    const native = this.openReference(this.options.reference);
    if (native) await indexReference(native);
    const { windowSize, secondary, checksum, appHeader, lzmaPreset } = this.options;
    return new (loadBinding().Encoder)(native, { windowSize, secondary, checksum, appHeader, lzmaPreset });
  }

  protected makeResult(sha256: string, counts: CodecCounts): CodecResult | DeltaGliderError {
    return { sha256, size: counts.bytesIn, deltaSize: counts.bytesOut };
  }
}

/**
 * A Transform encoding the target written to it into a delta against `options.reference`.
 * `result` ({ sha256, size, deltaSize }) is set once it has flushed. Failures (bad options,
 * unreadable reference, codec errors) destroy the stream with a DeltaGliderError.
 */
export function createEncodeStream(options: EncodeOptions = {}): CodecStream {
  return new EncodeStream(options, captureCallSite(createEncodeStream));
}
