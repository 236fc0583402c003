import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

describe('s3rver test server', () => {
  it('is up and stores objects with metadata', async () => {
    const client = new S3Client({
      endpoint: process.env.DG_TEST_S3_ENDPOINT,
      forcePathStyle: true,
      region: 'us-east-1',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await client.send(new CreateBucketCommand({ Bucket: 'smoke' }));
    await client.send(
      new PutObjectCommand({ Bucket: 'smoke', Key: 'a/b.txt', Body: 'hello', Metadata: { 'dg-note': 'x' } }),
    );
    const got = await client.send(new GetObjectCommand({ Bucket: 'smoke', Key: 'a/b.txt' }));
    expect(await got.Body!.transformToString()).toBe('hello');
    expect(got.Metadata).toEqual({ 'dg-note': 'x' });
    client.destroy();
  });
});
