/**
 * Hand-built VCDIFF bytes for tests: valid small deltas and deliberately absurd ones
 * (huge declared sizes, bad indicators) that no real encoder would write.
 */

/** RFC 3284 integer: base 128, most significant digit first. */
export function varint(value: number | bigint): Buffer {
  let v = BigInt(value);
  const digits = [Number(v & 0x7fn)];
  v >>= 7n;
  while (v > 0n) {
    digits.unshift(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  return Buffer.from(digits);
}

export interface HeaderSpec {
  indicator?: number; // computed from the fields below unless given
  secondaryId?: number;
  appHeader?: string | Buffer;
  version?: number;
}

export function fileHeader(spec: HeaderSpec = {}): Buffer {
  const app = spec.appHeader === undefined ? undefined : Buffer.from(spec.appHeader);
  const indicator = spec.indicator ?? ((spec.secondaryId !== undefined ? 1 : 0) | (app ? 4 : 0));
  const parts: Buffer[] = [Buffer.from([0xd6, 0xc3, 0xc4, spec.version ?? 0, indicator])];
  if (spec.secondaryId !== undefined) parts.push(Buffer.from([spec.secondaryId]));
  if (app) parts.push(varint(app.length), app);
  return Buffer.concat(parts);
}

export interface WindowSpec {
  indicator?: number; // default: 1 (VCD_SOURCE) when source is given, else 0; | 4 with adler32
  source?: { length: number | bigint; position: number | bigint };
  targetLength: number | bigint;
  deltaIndicator?: number;
  data?: Buffer;
  instructions?: Buffer;
  addresses?: Buffer;
  adler32?: number;
  /** Override the section lengths written in the header (bodies stay as given). */
  declared?: { data?: number | bigint; instructions?: number | bigint; addresses?: number | bigint };
  /** Override the "length of the delta encoding" field. */
  deltaLength?: number | bigint;
}

export function window(spec: WindowSpec): Buffer {
  const data = spec.data ?? Buffer.alloc(0);
  const inst = spec.instructions ?? Buffer.alloc(0);
  const addr = spec.addresses ?? Buffer.alloc(0);
  const indicator =
    spec.indicator ?? ((spec.source ? 1 : 0) | (spec.adler32 !== undefined ? 4 : 0));
  const adler = Buffer.alloc(spec.adler32 !== undefined ? 4 : 0);
  if (spec.adler32 !== undefined) adler.writeUInt32BE(spec.adler32 >>> 0);
  const lengths = Buffer.concat([
    varint(spec.declared?.data ?? data.length),
    varint(spec.declared?.instructions ?? inst.length),
    varint(spec.declared?.addresses ?? addr.length),
  ]);
  const encoding = Buffer.concat([
    varint(spec.targetLength),
    Buffer.from([spec.deltaIndicator ?? 0]),
    lengths,
    adler,
    data,
    inst,
    addr,
  ]);
  const deltaLength =
    spec.deltaLength ??
    (spec.declared
      ? BigInt(encoding.length - data.length - inst.length - addr.length) +
        BigInt(spec.declared.data ?? data.length) +
        BigInt(spec.declared.instructions ?? inst.length) +
        BigInt(spec.declared.addresses ?? addr.length)
      : encoding.length);
  const parts: Buffer[] = [Buffer.from([indicator])];
  if (spec.source) parts.push(varint(spec.source.length), varint(spec.source.position));
  parts.push(varint(deltaLength), encoding);
  return Buffer.concat(parts);
}

/** Adler-32 as zlib defines it (used to give hand-built windows a correct checksum). */
export function adler32(bytes: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A window that ADDs `bytes` literally (instruction 1 = ADD with explicit size). */
export function addWindow(bytes: Buffer, withChecksum = true): Buffer {
  return window({
    targetLength: bytes.length,
    data: bytes,
    instructions: bytes.length ? Buffer.concat([Buffer.from([1]), varint(bytes.length)]) : Buffer.alloc(0),
    ...(withChecksum && { adler32: adler32(bytes) }),
  });
}
