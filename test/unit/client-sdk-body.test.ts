import { Readable } from 'node:stream';

import { toReadable, withSdkHelpers } from '../../lib/client/sdk-body';
import { toSdkError } from '../../lib/client/sdk-errors';
import { DeltaGliderError } from '../../lib/errors';

const read = async (r: Readable) => Buffer.concat(await r.toArray()).toString();

describe('SDK-shaped bodies and errors', () => {
  it('accepts every PutObject body shape', async () => {
    expect(await read(toReadable('héllo', 'x'))).toBe('héllo');
    expect(await read(toReadable(new Uint8Array([104, 105]), 'x'))).toBe('hi');
    expect(await read(toReadable(Buffer.from('buf'), 'x'))).toBe('buf');
    expect(await read(toReadable(Readable.from([Buffer.from('a'), Buffer.from('b')]), 'x'))).toBe('ab');
    expect(await read(toReadable(new Blob(['blob']), 'x'))).toBe('blob');
    expect(await read(toReadable(new Blob(['web']).stream(), 'x'))).toBe('web');
    expect(await read(toReadable(undefined, 'x'))).toBe('');
    expect(() => toReadable(42, 'PutObject s3://b/k')).toThrow(expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT' }));
  });

  it('adds one-shot transform helpers like the SDK', async () => {
    const body = withSdkHelpers(Readable.from([Buffer.from('abc')]));
    expect(await body.transformToString('hex')).toBe('616263');
    await expect(body.transformToByteArray()).rejects.toThrow(/already been consumed/);
    const bytes = await withSdkHelpers(Readable.from([Buffer.from([1, 2, 3])])).transformToByteArray();
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...bytes]).toEqual([1, 2, 3]);
  });

  it('decorates errors with the S3 name and HTTP status, keeping the DeltaGlider code', () => {
    const notFound = toSdkError(new DeltaGliderError('ERR_DG_NOT_FOUND', 'gone'), 'NotFound') as DeltaGliderError & { $metadata: { httpStatusCode: number } };
    expect(notFound).toBeInstanceOf(DeltaGliderError);
    expect(notFound.name).toBe('NotFound');
    expect(notFound.code).toBe('ERR_DG_NOT_FOUND');
    expect(notFound.$metadata.httpStatusCode).toBe(404);
    expect((toSdkError(new DeltaGliderError('ERR_DG_BUCKET_NOT_FOUND', 'x')) as Error).name).toBe('NoSuchBucket');
    const plain = new Error('plain');
    expect(toSdkError(plain)).toBe(plain);
  });
});
