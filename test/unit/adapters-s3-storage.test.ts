/**
 * S3Storage request shaping, with a recording fake client (the integration test covers the
 * real wire protocol against s3rver; this covers what s3rver cannot: conditional-put
 * failures and multipart copies of >5 GiB sources, with lowered limits).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { S3Storage } from '../../lib/adapters/s3-storage';

interface Sent {
  name: string;
  input: Record<string, unknown>;
}

function fakeClient(respond: (name: string, input: Record<string, unknown>) => unknown): { client: S3Client; sent: Sent[] } {
  const sent: Sent[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      sent.push({ name, input: command.input });
      const out = respond(name, command.input);
      if (out instanceof Error) throw out;
      return out;
    },
    destroy: () => {},
  };
  return { client: client as unknown as S3Client, sent };
}

const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
const MiB = 1024 * 1024;

describe('S3Storage (fake client)', () => {
  it('sends If-None-Match: * for conditional puts and maps 412 to ERR_DG_PRECONDITION_FAILED', async () => {
    const { client, sent } = fakeClient((name) => (name === 'PutObjectCommand' ? sdkError('PreconditionFailed', 412) : {}));
    const storage = new S3Storage({ client });
    await expect(
      storage.put('b', 'ds/reference.bin', { buffer: Buffer.from('ref') }, { ifNoneMatch: true, metadata: { 'dg-note': 'reference' } }),
    ).rejects.toMatchObject({ code: 'ERR_DG_PRECONDITION_FAILED', cause: expect.objectContaining({ name: 'PreconditionFailed' }) });
    expect(sent[0].input).toMatchObject({ Bucket: 'b', Key: 'ds/reference.bin', IfNoneMatch: '*', Metadata: { 'dg-note': 'reference' } });
  });

  it('plain puts carry no If-None-Match', async () => {
    const { client, sent } = fakeClient(() => ({ ETag: '"e"' }));
    const result = await new S3Storage({ client }).put('b', 'k', { buffer: Buffer.from('x') });
    expect(result.etag).toBe('"e"');
    expect(sent[0].input).not.toHaveProperty('IfNoneMatch');
  });

  it('copies sources above the CopyObject limit part by part, keeping metadata', async () => {
    const size = 12 * MiB + 7;
    const { client, sent } = fakeClient((name, input) => {
      if (name === 'HeadObjectCommand') return { ContentLength: size, Metadata: { 'dg-file-sha256': 'abc' }, ContentType: 'application/zip' };
      if (name === 'CreateMultipartUploadCommand') return { UploadId: 'up-1' };
      if (name === 'UploadPartCopyCommand') return { CopyPartResult: { ETag: `"p${input.PartNumber}"` } };
      return {};
    });
    const storage = new S3Storage({ client, multipartCopyThreshold: 10 * MiB, copyPartSize: 5 * MiB, queueSize: 2 });
    await storage.copy('src', 'dir/big file.zip', 'dst', 'copy.zip');

    expect(sent.map((s) => s.name)).toEqual([
      'HeadObjectCommand',
      'CreateMultipartUploadCommand',
      'UploadPartCopyCommand',
      'UploadPartCopyCommand',
      'UploadPartCopyCommand',
      'CompleteMultipartUploadCommand',
    ]);
    expect(sent[1].input).toMatchObject({ Bucket: 'dst', Key: 'copy.zip', Metadata: { 'dg-file-sha256': 'abc' }, ContentType: 'application/zip' });
    const ranges = sent.filter((s) => s.name === 'UploadPartCopyCommand').map((s) => [s.input.PartNumber, s.input.CopySourceRange]);
    expect(ranges).toEqual([
      [1, `bytes=0-${5 * MiB - 1}`],
      [2, `bytes=${5 * MiB}-${10 * MiB - 1}`],
      [3, `bytes=${10 * MiB}-${size - 1}`],
    ]);
    expect(sent[2].input.CopySource).toBe('src/dir/big%20file.zip');
    expect(sent[5].input).toMatchObject({
      UploadId: 'up-1',
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"p1"' }, { PartNumber: 2, ETag: '"p2"' }, { PartNumber: 3, ETag: '"p3"' }] },
    });
  });

  it('aborts a failed multipart copy', async () => {
    const { client, sent } = fakeClient((name) => {
      if (name === 'HeadObjectCommand') return { ContentLength: 20 * MiB, Metadata: {} };
      if (name === 'CreateMultipartUploadCommand') return { UploadId: 'up-2' };
      if (name === 'UploadPartCopyCommand') return sdkError('SlowDown', 503);
      return {};
    });
    const storage = new S3Storage({ client, multipartCopyThreshold: 10 * MiB, copyPartSize: 5 * MiB });
    await expect(storage.copy('s', 'k', 'd', 'k2')).rejects.toMatchObject({ code: 'ERR_DG_STORAGE' });
    expect(sent[sent.length - 1]).toMatchObject({ name: 'AbortMultipartUploadCommand', input: { UploadId: 'up-2' } });
  });

  it('small copies are one CopyObject; REPLACE only when metadata or content type change', async () => {
    const { client, sent } = fakeClient((name) => (name === 'HeadObjectCommand' ? { ContentLength: 10, Metadata: { a: '1' }, ContentType: 't/x' } : {}));
    const storage = new S3Storage({ client });
    await storage.copy('s', 'k', 'd', 'k2');
    await storage.copy('s', 'k', 'd', 'k3', { metadata: { b: '2' } });
    const copies = sent.filter((s) => s.name === 'CopyObjectCommand').map((s) => s.input);
    expect(copies[0]).not.toHaveProperty('MetadataDirective');
    expect(copies[1]).toMatchObject({ MetadataDirective: 'REPLACE', Metadata: { b: '2' }, ContentType: 't/x' });
  });

  it('deleteMany batches by 1000 and reports per-key errors', async () => {
    const { client, sent } = fakeClient((_name, input) => {
      const objects = (input.Delete as { Objects: { Key: string }[] }).Objects;
      return {
        Deleted: objects.filter((o) => o.Key !== 'k7').map((o) => ({ Key: o.Key })),
        Errors: objects.filter((o) => o.Key === 'k7').map((o) => ({ Key: o.Key, Code: 'AccessDenied', Message: 'no' })),
      };
    });
    const keys = Array.from({ length: 2500 }, (_, i) => `k${i}`);
    const result = await new S3Storage({ client }).deleteMany('b', keys);
    expect(sent.map((s) => (s.input.Delete as { Objects: unknown[] }).Objects.length)).toEqual([1000, 1000, 500]);
    expect(result.deleted).toHaveLength(2499);
    expect(result.errors).toEqual([{ key: 'k7', code: 'AccessDenied', message: 'no' }]);
  });

  describe('multipart upload of a file', () => {
    let dir: string;
    let file: string;
    const size = 12 * MiB + 5;
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i += 4096) bytes.writeUInt32LE(i, i);
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'dg-s3-fake-'));
      file = join(dir, 'big.bin');
      writeFileSync(file, bytes);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** Copy each part's body at send time: the storage reuses its buffers afterwards. */
    function recordingParts(respond: (name: string, input: Record<string, unknown>) => unknown = () => undefined) {
      const bodies = new Map<number, Buffer>();
      const fake = fakeClient((name, input) => {
        if (name === 'CreateMultipartUploadCommand') return { UploadId: 'up-3' };
        if (name === 'UploadPartCommand') bodies.set(input.PartNumber as number, Buffer.from(input.Body as Buffer));
        const out = respond(name, input);
        if (out !== undefined) return out;
        if (name === 'UploadPartCommand') return { ETag: `"e${input.PartNumber}"` };
        if (name === 'CompleteMultipartUploadCommand') return { ETag: '"whole"' };
        return {};
      });
      return { ...fake, bodies };
    }

    it('reads parts at their offsets, in bounded buffers, and completes with If-None-Match', async () => {
      const { client, sent, bodies } = recordingParts();
      const storage = new S3Storage({ client, multipartThreshold: 5 * MiB, partSize: 5 * MiB, queueSize: 2 });
      const progress: number[] = [];
      const result = await storage.put('b', 'ds/reference.bin', { file }, {
        ifNoneMatch: true, metadata: { 'dg-note': 'reference' }, contentType: 'application/octet-stream', onProgress: (n) => progress.push(n),
      });
      expect(result.etag).toBe('"whole"');
      expect(sent.map((x) => x.name)).toEqual([
        'CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand',
      ]);
      expect(sent[0].input).toEqual({ Bucket: 'b', Key: 'ds/reference.bin', Metadata: { 'dg-note': 'reference' }, ContentType: 'application/octet-stream' });
      const parts = sent.filter((x) => x.name === 'UploadPartCommand').map((x) => [x.input.PartNumber, x.input.ContentLength]);
      expect(parts.sort()).toEqual([[1, 5 * MiB], [2, 5 * MiB], [3, 2 * MiB + 5]]);
      expect(Buffer.concat([1, 2, 3].map((n) => bodies.get(n)!)).equals(bytes)).toBe(true);
      expect(sent[4].input).toEqual({
        Bucket: 'b', Key: 'ds/reference.bin', UploadId: 'up-3', IfNoneMatch: '*',
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"e1"' }, { PartNumber: 2, ETag: '"e2"' }, { PartNumber: 3, ETag: '"e3"' }] },
      });
      expect(progress[0]).toBe(0);
      expect(progress[progress.length - 1]).toBe(size);
    });

    it('a lost conditional completion is ERR_DG_PRECONDITION_FAILED, and the upload is aborted', async () => {
      const { client, sent } = recordingParts((name) => (name === 'CompleteMultipartUploadCommand' ? sdkError('PreconditionFailed', 412) : undefined));
      const storage = new S3Storage({ client, multipartThreshold: 5 * MiB, partSize: 5 * MiB });
      await expect(storage.put('b', 'ds/reference.bin', { file }, { ifNoneMatch: true })).rejects.toMatchObject({ code: 'ERR_DG_PRECONDITION_FAILED' });
      expect(sent[sent.length - 1]).toMatchObject({ name: 'AbortMultipartUploadCommand', input: { UploadId: 'up-3' } });
    });

    it('a failed part aborts the upload', async () => {
      const { client, sent } = recordingParts((name, input) => (name === 'UploadPartCommand' && input.PartNumber === 2 ? sdkError('SlowDown', 503) : undefined));
      const storage = new S3Storage({ client, multipartThreshold: 5 * MiB, partSize: 5 * MiB, queueSize: 1 });
      await expect(storage.put('b', 'k', { file })).rejects.toMatchObject({ code: 'ERR_DG_STORAGE' });
      expect(sent.map((x) => x.name)).toEqual([
        'CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'AbortMultipartUploadCommand',
      ]);
    });
  });

  it('refuses nonsensical options', () => {
    expect(() => new S3Storage({ partSize: 0, client: fakeClient(() => ({})).client })).toThrow(
      expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT' }),
    );
  });
});
