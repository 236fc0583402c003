/**
 * Bodies in the shapes the AWS SDK uses. Inputs: whatever PutObject accepts (string,
 * Uint8Array/Buffer, Node Readable, web ReadableStream, Blob) become a Node Readable for the
 * service (which spools it to a temp file, so memory stays bounded). Outputs: a Node Readable
 * carrying the SDK's one-shot helpers (transformToByteArray / transformToString /
 * transformToWebStream), so `await out.Body!.transformToString()` works unchanged.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

import type { GetObjectCommandOutput } from '@aws-sdk/client-s3';

import { DeltaGliderError } from '../errors';

export interface SdkStreamHelpers {
  transformToByteArray(): Promise<Uint8Array>;
  transformToString(encoding?: string): Promise<string>;
  transformToWebStream(): ReadableStream;
}

export type SdkBody = Readable & SdkStreamHelpers;

export function toReadable(body: unknown, what: string): Readable {
  if (body === undefined || body === null) return Readable.from([]);
  if (typeof body === 'string') return Readable.from([Buffer.from(body, 'utf8')]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  if (body instanceof Readable) return body;
  if (isWebStream(body)) return Readable.fromWeb(body);
  if (isBlob(body)) return Readable.fromWeb(body.stream() as WebReadableStream<Uint8Array>);
  if (isNodeReadableLike(body)) return Readable.from(body as AsyncIterable<Uint8Array>);
  throw new DeltaGliderError('ERR_DG_INVALID_ARGUMENT', `${what}: Body must be a string, Buffer, Uint8Array, Readable, ReadableStream or Blob`);
}

/** Adds the SDK's stream helpers to `stream`; like the SDK's, they may be used once. */
export function withSdkHelpers(stream: Readable): SdkBody {
  let used = false;
  const claim = (): void => {
    if (used) throw new DeltaGliderError('ERR_DG_USAGE', 'the response body has already been consumed');
    used = true;
  };
  const bytes = async (): Promise<Buffer> => {
    claim();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks);
  };
  return Object.assign(stream, {
    transformToByteArray: async () => new Uint8Array(await bytes()),
    // Like the SDK's Node helper: any Buffer encoding ('utf-8', 'base64', 'hex', ...).
    transformToString: async (encoding = 'utf-8') => (await bytes()).toString(encoding as BufferEncoding),
    transformToWebStream: () => {
      claim();
      return Readable.toWeb(stream) as unknown as ReadableStream;
    },
  });
}

/** The helper-carrying body typed as the SDK types GetObject's Body. */
export function asSdkOutputBody(stream: Readable): NonNullable<GetObjectCommandOutput['Body']> {
  return withSdkHelpers(stream) as unknown as NonNullable<GetObjectCommandOutput['Body']>;
}

function isWebStream(value: unknown): value is WebReadableStream<Uint8Array> {
  return typeof (value as { getReader?: unknown }).getReader === 'function';
}

function isBlob(value: unknown): value is Blob {
  return typeof Blob !== 'undefined' && value instanceof Blob;
}

function isNodeReadableLike(value: unknown): boolean {
  return typeof (value as { pipe?: unknown }).pipe === 'function' && Symbol.asyncIterator in (value as object);
}
