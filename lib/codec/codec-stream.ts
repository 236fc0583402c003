/**
 * The streaming loop shared by encoding and decoding, after Node's zlib:
 *
 * - each native call gets a slice of a fixed output buffer; what it produced is pushed;
 * - if the output slice filled up, the chunk is not finished: call again for the rest —
 *   but when push() returned false, wait for _read first (a slow consumer stops the codec,
 *   and since the transform callback is held back, the writer stops too: memory stays
 *   bounded by the stream buffers plus one output buffer);
 * - the transform callback fires only once the chunk's input is consumed;
 * - _flush feeds `finish` until the codec reports done;
 * - _destroy closes the native handle (the addon defers it while a call is in flight).
 *
 * All native work runs on the thread pool, so the event loop stays responsive.
 */
import { Transform, TransformCallback, TransformOptions } from 'node:stream';

import { DeltaGliderError } from '../errors';
import type { NativeCodec, NativeReference } from './binding';
import { toCodecError } from './native-error';
import { resolveReference } from './reference';
import type { CodecResult, CodecStream, ReferenceInput } from './types';

/** Output buffer per allocation (default); each native call produces at most this much. */
export const DEFAULT_CHUNK_SIZE = 256 * 1024;
const MIN_CHUNK_SIZE = 64;
/** Calls in a row with no input consumed and no output produced before we call it a bug. */
const MAX_IDLE_CALLS = 8;
const EMPTY = Buffer.alloc(0);

export interface CodecCounts {
  /** Bytes given to the codec. */
  bytesIn: number;
  /** Bytes the codec produced. */
  bytesOut: number;
}

export abstract class CodecTransform extends Transform implements CodecStream {
  private codecResult: CodecResult | undefined;
  private handle: NativeCodec | undefined;
  private readonly chunkSize: number;
  private output: Buffer = Buffer.alloc(0);
  private outputOffset = 0;
  private resumeOnRead: (() => void) | undefined;
  private readonly counts: CodecCounts = { bytesIn: 0, bytesOut: 0 };

  protected constructor(
    protected readonly callSite: string,
    chunkSize: number | undefined,
    options?: TransformOptions,
  ) {
    super(options);
    this.chunkSize = chunkSize ?? DEFAULT_CHUNK_SIZE;
  }

  get result(): CodecResult | undefined {
    return this.codecResult;
  }

  /** Creates the native codec (may first build the reference index). */
  protected abstract openCodec(): Promise<NativeCodec>;
  /** The result once the codec is done, or an error to fail the stream with. */
  protected abstract makeResult(sha256: string, counts: CodecCounts): CodecResult | DeltaGliderError;

  /** A reference this stream mapped itself (from a path or Buffer), closed with the codec. */
  private ownedReference: NativeReference | undefined;

  /** The native reference for `input`; one the stream opened itself is closed with it. */
  protected openReference(input: ReferenceInput | null | undefined): NativeReference | null {
    const { native, owned } = resolveReference(input);
    if (owned && native) this.ownedReference = native;
    return native;
  }

  override _construct(callback: (err?: Error | null) => void): void {
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < MIN_CHUNK_SIZE) {
      return callback(
        new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `chunkSize must be an integer >= ${MIN_CHUNK_SIZE}`),
      );
    }
    this.openCodec().then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (err: unknown) => callback(this.toError(err)),
    );
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.feed(chunk, false, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.feed(EMPTY, true, (err) => {
      if (err) return callback(err);
      let outcome: CodecResult | DeltaGliderError;
      try {
        outcome = this.makeResult(this.requireHandle().sha256(), this.counts);
      } catch (e) {
        outcome = this.toError(e);
      }
      this.closeCodec(); // free the codec's memory now, not at GC
      if (outcome instanceof Error) return callback(outcome);
      this.codecResult = outcome;
      callback();
    });
  }

  override _read(size: number): void {
    const resume = this.resumeOnRead;
    this.resumeOnRead = undefined;
    if (resume) resume();
    // Transform may also be holding back a write callback until the reader catches up.
    super._read(size);
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.resumeOnRead = undefined;
    this.closeCodec();
    callback(err);
  }

  private closeCodec(): void {
    this.handle?.close();
    this.ownedReference?.close();
    this.ownedReference = undefined;
  }

  private requireHandle(): NativeCodec {
    if (!this.handle) throw new DeltaGliderError('ERR_DG_INTERNAL', 'codec used before it was opened');
    return this.handle;
  }

  /** Feeds one chunk (or the finish marker) until consumed (or done), honouring backpressure. */
  private feed(chunk: Buffer, finish: boolean, callback: (err?: Error | null) => void): void {
    const handle = this.requireHandle();
    let inOffset = 0;
    let idleCalls = 0;

    const step = (): void => {
      // Below 1/16 of a buffer of room, start a fresh one rather than make a tiny call.
      if (this.output.length - this.outputOffset < this.chunkSize / 16 + 1) {
        this.output = Buffer.allocUnsafe(this.chunkSize);
        this.outputOffset = 0;
      }
      const output = this.output;
      const outOffset = this.outputOffset;
      const outLength = output.length - outOffset;

      const onWritten = (err: Error | null, consumed: number, produced: number, done: boolean): void => {
        if (this.destroyed) return; // closed under us: nobody is waiting any more
        if (err) return callback(this.toError(err));
        inOffset += consumed;
        this.counts.bytesIn += consumed;
        this.counts.bytesOut += produced;
        let wantsMore = true;
        if (produced > 0) {
          // Pushed slices now belong to the consumer: the next call writes after them.
          this.outputOffset = outOffset + produced;
          wantsMore = this.push(output.subarray(outOffset, outOffset + produced));
        }
        const chunkDone = finish ? done : inOffset === chunk.length && produced < outLength;
        if (chunkDone) return callback();
        idleCalls = consumed === 0 && produced === 0 ? idleCalls + 1 : 0;
        if (idleCalls > MAX_IDLE_CALLS) {
          return callback(new DeltaGliderError('ERR_DG_INTERNAL', 'the native codec stopped making progress'));
        }
        if (wantsMore) step();
        else this.resumeOnRead = step;
      };

      try {
        handle.write(chunk, inOffset, chunk.length - inOffset, output, outOffset, outLength, finish, onWritten);
      } catch (err) {
        callback(this.toError(err));
      }
    };
    step();
  }

  private toError(err: unknown): DeltaGliderError {
    return toCodecError(err, this.callSite);
  }
}
