/**
 * The addon's raw surface (lib/codec/binding): argument checks, one write in flight,
 * deferred close, closed objects, references on bad paths, shared indexes, the hasher.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadBinding, NativeCodec, NativeReference } from '../../lib/codec/binding';

const native = loadBinding();

interface WriteResult {
  consumed: number;
  produced: number;
  done: boolean;
}

function write(codec: NativeCodec, input: Buffer, output: Buffer, finish: boolean): Promise<WriteResult> {
  return new Promise((resolve, reject) => {
    codec.write(input, 0, input.length, output, 0, output.length, finish, (err, consumed, produced, done) =>
      err ? reject(err) : resolve({ consumed, produced, done }),
    );
  });
}

function buildIndex(ref: NativeReference): Promise<void> {
  return new Promise((resolve, reject) => ref.buildIndex((err) => (err ? reject(err) : resolve())));
}

/** Encodes `target` in one call with a big enough output; returns the delta. */
async function encodeAll(ref: NativeReference | null, target: Buffer): Promise<Buffer> {
  if (ref) await buildIndex(ref);
  const encoder = new native.Encoder(ref, { secondary: 'none' });
  const out = Buffer.alloc(target.length * 2 + 4096);
  const r = await write(encoder, target, out, true);
  expect(r.done).toBe(true);
  expect(r.consumed).toBe(target.length);
  encoder.close();
  return out.subarray(0, r.produced);
}

/**
 * The addon's errors come from Node's realm, not jest's sandbox, so `instanceof TypeError`
 * is false under jest: check the error's name instead.
 */
function thrownBy(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to throw');
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-binding-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('argument checks', () => {
  const decoder = (): NativeCodec => new native.Decoder(null);
  const buf = Buffer.alloc(16);
  const cb = (): void => undefined;
  type Args = Parameters<NativeCodec['write']>;
  const call = (codec: NativeCodec, args: unknown[]): void => codec.write(...(args as Args));

  it.each([
    ['input', ['nope', 0, 0, buf, 0, 16, false, cb], 'TypeError'],
    ['input', [new Uint16Array(4), 0, 0, buf, 0, 16, false, cb], 'TypeError'],
    ['inOffset', [buf, '0', 0, buf, 0, 16, false, cb], 'TypeError'],
    ['inLength', [buf, 0, -1, buf, 0, 16, false, cb], 'RangeError'],
    ['output', [buf, 0, 0, null, 0, 16, false, cb], 'TypeError'],
    ['outOffset', [buf, 0, 0, buf, 1.5, 8, false, cb], 'RangeError'],
    ['finish', [buf, 0, 0, buf, 0, 16, 1, cb], 'TypeError'],
    ['callback', [buf, 0, 0, buf, 0, 16, false, undefined], 'TypeError'],
  ])('write rejects a bad %s', (name, args, type) => {
    const d = decoder();
    const err = thrownBy(() => call(d, args));
    expect(err.name).toBe(type);
    expect(err.message).toContain(name);
    d.close();
  });

  it('write rejects ranges outside the buffers, empty output and overlap', () => {
    const d = decoder();
    expect(() => d.write(buf, 10, 7, Buffer.alloc(8), 0, 8, false, cb)).toThrow(/inOffset \+ inLength/);
    expect(() => d.write(buf, 0, 4, Buffer.alloc(8), 4, 5, false, cb)).toThrow(/outOffset \+ outLength/);
    expect(() => d.write(buf, 0, 4, Buffer.alloc(8), 0, 0, false, cb)).toThrow(/outLength/);
    expect(() => d.write(buf, 0, 8, buf, 4, 8, false, cb)).toThrow(/overlap/);
    d.close();
  });

  it('constructors check their arguments', () => {
    expect(thrownBy(() => new native.Reference(42 as unknown as string)).name).toBe('TypeError');
    expect(() => new native.Decoder({} as NativeReference)).toThrow(/reference must be a Reference/);
    expect(() => new native.Decoder(null, { verifyChecksum: 'yes' as unknown as boolean })).toThrow(
      /options\.verifyChecksum/,
    );
    expect(thrownBy(() => new native.Encoder(null, { windowSize: 100 })).name).toBe('RangeError');
    expect(() => new native.Encoder(null, { secondary: 'zstd' as 'none' })).toThrow(/options\.secondary/);
    expect(() => new native.Encoder(null, { lzmaPreset: 12 })).toThrow(/lzmaPreset/);
    // a Decoder is not a Reference, even though both are wrapped native objects
    expect(thrownBy(() => new native.Encoder(new native.Decoder(null) as unknown as NativeReference)).name).toBe('TypeError');
  });

  it('methods called on a foreign object throw TypeError instead of crashing', () => {
    const encoder = new native.Encoder(null);
    const decoder = new native.Decoder(null);
    const write = Object.getPrototypeOf(decoder).write as NativeCodec['write'];
    // V8's own receiver check ("Illegal invocation") or our type tag: a TypeError either way
    expect(thrownBy(() => write.call(encoder, buf, 0, 0, buf, 0, 16, false, cb)).name).toBe('TypeError');
    const digest = Object.getPrototypeOf(new native.Hasher()).digest as () => string;
    expect(thrownBy(() => digest.call({})).name).toBe('TypeError');
    const size = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(decoder), 'totalIn')!.get!;
    expect(thrownBy(() => size.call(new native.Hasher())).name).toBe('TypeError');
    encoder.close();
    decoder.close();
  });

  it('an encoder needs an indexed reference', () => {
    const ref = new native.Reference(Buffer.from('some reference bytes'));
    expect(ref.indexed).toBe(false);
    expect(() => new native.Encoder(ref)).toThrow(expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT' }));
    ref.close();
  });
});

describe('writes', () => {
  it('a second write while one is in flight throws', async () => {
    const encoder = new native.Encoder(null, { secondary: 'none' });
    const input = randomBytes(64 * 1024);
    const out = Buffer.alloc(256 * 1024);
    const first = write(encoder, input, out, true);
    expect(() => encoder.write(input, 0, 1, Buffer.alloc(64), 0, 64, false, () => undefined)).toThrow(
      /already in flight/,
    );
    const r = await first;
    expect(r.done).toBe(true);
    expect(encoder.sha256()).toBe(sha256(input));
    encoder.close();
  });

  it('close during a write is deferred until the write returns', async () => {
    const encoder = new native.Encoder(null);
    const input = randomBytes(1 << 20);
    const out = Buffer.alloc(2 << 20);
    const pending = write(encoder, input, out, true);
    encoder.close();
    expect(encoder.closed).toBe(true);
    const r = await pending; // the callback still arrives, with the call's real results
    expect(r.consumed).toBe(input.length);
    expect(r.done).toBe(true);
    expect(encoder.sha256()).toBe(sha256(input)); // kept across close once done
    expect(() => encoder.write(input, 0, 1, out, 0, 1, false, () => undefined)).toThrow(/closed/);
  });

  it('a closed codec gives a clear error; close is idempotent', () => {
    const decoder = new native.Decoder(null);
    decoder.close();
    decoder.close();
    expect(() => decoder.write(Buffer.alloc(1), 0, 1, Buffer.alloc(8), 0, 8, true, () => undefined)).toThrow(
      expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT', message: expect.stringMatching(/Decoder\.write: it is closed/) }),
    );
    expect(() => decoder.sha256()).toThrow(/not complete/);
  });

  it('codec failures arrive as errors with a stable code and the codec detail', async () => {
    const decoder = new native.Decoder(null);
    const err = await write(decoder, Buffer.from('this is not a VCDIFF delta'), Buffer.alloc(64), true).catch(
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe('Error');
    expect(err).toMatchObject({ code: 'ERR_DG_CORRUPT_DELTA' });
    expect((err as Error).message.length).toBeGreaterThan(0);
    decoder.close();
  });

  it('decodes what it encoded, in the smallest output steps', async () => {
    const refBytes = randomBytes(40_000);
    const target = Buffer.concat([refBytes.subarray(5000, 30_000), randomBytes(300), refBytes.subarray(0, 9000)]);
    const ref = new native.Reference(refBytes);
    const delta = await encodeAll(ref, target);
    expect(delta.length).toBeLessThan(target.length / 4);
    const decoder = new native.Decoder(ref);
    const parts: Buffer[] = [];
    let offset = 0;
    for (let calls = 0; ; calls++) {
      expect(calls).toBeLessThan(200_000);
      const out = Buffer.alloc(1000); // forces many "output full" returns
      const input = delta.subarray(offset);
      const r = await write(decoder, input, out, true);
      offset += r.consumed;
      parts.push(out.subarray(0, r.produced));
      if (r.done) break;
    }
    expect(Buffer.concat(parts).equals(target)).toBe(true);
    expect(decoder.sha256()).toBe(sha256(target));
    expect(decoder.totalOut).toBe(target.length);
    decoder.close();
    ref.close();
  });
});

describe('Reference', () => {
  it('reports a missing file with an ENOENT error', () => {
    const missing = path.join(tmp, 'no-such-reference.bin');
    expect(() => new native.Reference(missing)).toThrow(
      expect.objectContaining({ code: 'ENOENT', syscall: 'open', path: missing, message: expect.stringContaining('ENOENT') }),
    );
  });

  it('refuses a directory', () => {
    expect(() => new native.Reference(tmp)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
  });

  it('maps a file (also an empty one) and reports its size', async () => {
    const file = path.join(tmp, 'ref.bin');
    fs.writeFileSync(file, randomBytes(12345));
    const ref = new native.Reference(file);
    expect(ref.size).toBe(12345);
    ref.close();
    expect(ref.closed).toBe(true);
    const empty = path.join(tmp, 'empty.bin');
    fs.writeFileSync(empty, '');
    const emptyRef = new native.Reference(empty);
    expect(emptyRef.size).toBe(0);
    const target = Buffer.from('a target with no reference bytes to copy from');
    const delta = await encodeAll(emptyRef, target);
    const decoder = new native.Decoder(emptyRef);
    const out = Buffer.alloc(1024);
    const r = await write(decoder, delta, out, true);
    expect(out.subarray(0, r.produced).equals(target)).toBe(true);
    decoder.close();
    emptyRef.close();
  });

  it('builds the index once for concurrent callers and refuses use after close', async () => {
    const ref = new native.Reference(randomBytes(256 * 1024));
    const order: string[] = [];
    await Promise.all([
      buildIndex(ref).then(() => order.push('a')),
      buildIndex(ref).then(() => order.push('b')),
    ]);
    expect(order.sort()).toEqual(['a', 'b']);
    expect(ref.indexed).toBe(true);
    let sync = true;
    const again = buildIndex(ref).then(() => sync);
    sync = false;
    expect(await again).toBe(false); // never calls back synchronously
    ref.close();
    expect(() => new native.Decoder(ref)).toThrow(/reference is closed/);
    expect(() => ref.buildIndex(() => undefined)).toThrow(/closed/);
  });

  it('stays mapped while an encoder uses it, after close()', async () => {
    const file = path.join(tmp, 'shared.bin');
    const refBytes = randomBytes(100_000);
    fs.writeFileSync(file, refBytes);
    const ref = new native.Reference(file);
    await buildIndex(ref);
    const encoder = new native.Encoder(ref, { secondary: 'none' });
    const decoder = new native.Decoder(ref);
    ref.close(); // deferred: both codecs still hold it
    const target = Buffer.concat([refBytes.subarray(50_000), refBytes.subarray(0, 20_000)]);
    const out = Buffer.alloc(300_000);
    const e = await write(encoder, target, out, true);
    const back = Buffer.alloc(target.length);
    const d = await write(decoder, out.subarray(0, e.produced), back, true);
    expect(d.done).toBe(true);
    expect(back.equals(target)).toBe(true);
    encoder.close();
    decoder.close();
  });
});

describe('Hasher', () => {
  it('matches node:crypto, sync and async, and knows its implementation', async () => {
    const data = randomBytes(300_000);
    const hasher = new native.Hasher();
    hasher.update(data.subarray(0, 1000));
    await new Promise<void>((resolve, reject) =>
      hasher.update(data.subarray(1000), (err) => (err ? reject(err) : resolve())),
    );
    expect(hasher.size).toBe(data.length);
    expect(hasher.digest()).toBe(sha256(data));
    expect(hasher.digest()).toBe(sha256(data));
    expect(() => hasher.update(data)).toThrow(/digest\(\) was already called/);
    expect(['sha-ni', 'portable']).toContain(hasher.impl);
    expect(native.sha256Impl()).toBe(hasher.impl);
  });

  it('refuses a second update while an async one is in flight', async () => {
    const hasher = new native.Hasher();
    const pending = new Promise<void>((resolve) => hasher.update(randomBytes(1 << 20), () => resolve()));
    expect(() => hasher.update(Buffer.alloc(1))).toThrow(/in flight/);
    expect(() => hasher.digest()).toThrow(/in flight/);
    await pending;
    expect(hasher.size).toBe(1 << 20);
  });
});
