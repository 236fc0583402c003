/**
 * Which kind of delta an upload may write, and what readers do with the recorded kind: the
 * bucket's pinned setting, the upload's option and DG_DELTA_FORMAT, and deltaspaces the
 * Python DeltaGlider writes to (plain VCDIFF there, unless the bucket says otherwise).
 */
import { join } from 'node:path';

import * as codec from '../../lib/codec';
import type { CoreCodec } from '../../lib/core';
import { BucketConfigStore } from '../../lib/core/bucket-config';
import { computeBucketStats } from '../../lib/core/stats';
import { BUCKET, makeFixture, seededBytes, sha256, similarTo, type Fixture } from '../helpers/core-fixture';

/** The real codec, recording the `format` each encode was asked for. */
function recordingCodec(): CoreCodec & { formats: unknown[] } {
  const formats: unknown[] = [];
  return {
    formats,
    encodeFile: (reference, target, out, options) => {
      formats.push((options as { format?: unknown } | undefined)?.format);
      return codec.encodeFile(reference, target, out, options);
    },
    hashFile: codec.hashFile,
    writeIdentityDelta: codec.writeIdentityDelta,
    createDecodeStream: codec.createDecodeStream,
    openReference: codec.openReference,
  };
}

describe('delta format policy', () => {
  let f: Fixture;
  const v1 = seededBytes(30_000, 71);
  const v2 = similarTo(v1, 72);
  afterEach(() => f.cleanup());

  async function formatOfSecondUpload(setup: { env?: NodeJS.ProcessEnv; pinned?: 'auto' | 'vcdiff'; option?: 'auto' | 'vcdiff'; python?: boolean }): Promise<unknown> {
    f = makeFixture();
    const recorder = recordingCodec();
    const service = f.another({ codec: recorder, env: setup.env ?? {} });
    if (setup.pinned) await new BucketConfigStore(f.storage).set(BUCKET, 'delta-format', setup.pinned);
    if (setup.python) {
      // The Python tool's layout: <ds>/reference.bin, signed deltaglider/6.x.
      f.storage.setObject(BUCKET, 'ds/reference.bin', v1, { 'dg-tool': 'deltaglider/6.1.2', 'dg-file-sha256': sha256(v1), 'dg-note': 'reference' });
    } else {
      await service.put(f.file('v1.zip', v1), BUCKET, 'ds/v1.zip');
    }
    const put = await service.put(f.file('v2.zip', v2), BUCKET, 'ds/v2.zip', setup.option ? { deltaFormat: setup.option } : {});
    expect(put.storedAs).toBe('delta');
    expect(f.storage.object(BUCKET, 'ds/v2.zip.delta')!.metadata['dg-delta-format']).toBe('vcdiff'); // this codec writes VCDIFF
    return recorder.formats.at(-1);
  }

  test.each([
    ['nothing said: auto', 'auto', {}],
    ['DG_DELTA_FORMAT=vcdiff', 'vcdiff', { env: { DG_DELTA_FORMAT: 'vcdiff' } }],
    ['the upload asks for vcdiff', 'vcdiff', { option: 'vcdiff' as const }],
    ['the bucket pins vcdiff, the upload asks for auto', 'vcdiff', { pinned: 'vcdiff' as const, option: 'auto' as const }],
    ['the bucket pins vcdiff, the environment says auto', 'vcdiff', { pinned: 'vcdiff' as const, env: { DG_DELTA_FORMAT: 'auto' } }],
    ['a deltaspace the Python tool writes', 'vcdiff', { python: true }],
    ['a Python deltaspace in a bucket pinned to auto', 'auto', { python: true, pinned: 'auto' as const }],
    ['a Python deltaspace, DG_DELTA_FORMAT=auto', 'auto', { python: true, env: { DG_DELTA_FORMAT: 'auto' } }],
  ])('%s -> %s', async (_what, expected, setup) => {
    expect(await formatOfSecondUpload(setup)).toBe(expected);
  });

  test('a bad DG_DELTA_FORMAT or bucket config is an error, never ignored', async () => {
    f = makeFixture();
    expect(() => f.another({ env: { DG_DELTA_FORMAT: 'fastest' } })).toThrow(/DG_DELTA_FORMAT: delta format must be one of auto, vcdiff/);
    await f.service.put(f.file('v1.zip', v1), BUCKET, 'ds/v1.zip');
    f.storage.setObject(BUCKET, '.deltaglider/config.json', Buffer.from('{ not json'));
    await expect(f.another().put(f.file('v2.zip', v2), BUCKET, 'ds/v2.zip')).rejects.toMatchObject({ code: 'ERR_DG_BAD_METADATA' });
    f.storage.setObject(BUCKET, '.deltaglider/config.json', Buffer.from('{"version": 2, "delta-format": "vcdiff"}'));
    await expect(f.another().put(f.file('v2.zip', v2), BUCKET, 'ds/v2.zip')).rejects.toMatchObject({ code: 'ERR_DG_UNSUPPORTED' });
  });

  test('listings, heads and detailed stats tell the formats apart', async () => {
    f = makeFixture();
    await f.service.put(f.file('v1.zip', v1), BUCKET, 'ds/v1.zip');
    await f.service.put(f.file('v2.zip', v2), BUCKET, 'ds/v2.zip');
    await f.service.put(f.file('v3.zip', similarTo(v1, 73)), BUCKET, 'ds/v3.zip');
    f.storage.object(BUCKET, 'ds/v3.zip.delta')!.metadata['dg-delta-format'] = 'dgd'; // as an archive delta records it
    const listed = (await f.service.list(BUCKET, { prefix: 'ds/' })).objects.map((o) => [o.key, o.deltaFormat]);
    expect(listed).toEqual([['ds/v1.zip', 'vcdiff'], ['ds/v2.zip', 'vcdiff'], ['ds/v3.zip', 'dgd']]);
    expect((await f.service.head(BUCKET, 'ds/v3.zip'))?.deltaFormat).toBe('dgd');
    const { stats } = await computeBucketStats(f.storage, BUCKET, { mode: 'detailed', useCache: false });
    expect(stats.deltaFormats).toEqual({ vcdiff: 2, dgd: 1 });
  });

  test('a delta whose recorded format this version does not know is refused, not served', async () => {
    f = makeFixture();
    await f.service.put(f.file('v1.zip', v1), BUCKET, 'ds/v1.zip');
    await f.service.put(f.file('v2.zip', v2), BUCKET, 'ds/v2.zip');
    f.storage.object(BUCKET, 'ds/v2.zip.delta')!.metadata['dg-delta-format'] = 'dgd9';
    await expect(f.service.get(BUCKET, 'ds/v2.zip', join(f.dir, 'out'))).rejects.toMatchObject({
      code: 'ERR_DG_UNSUPPORTED', message: expect.stringContaining('upgrade DeltaGlider'),
    });
  });
});
