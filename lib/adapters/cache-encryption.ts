/**
 * Encryption at rest for cached references: AES-256-GCM over the whole file, streamed.
 * Layout: "DGC1" | 12-byte random nonce | ciphertext | 16-byte tag. The reference's SHA-256
 * is bound in as additional authenticated data, so an entry renamed to another hash fails
 * authentication instead of handing out the wrong reference.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeltaGliderError } from '../errors';

const MAGIC = Buffer.from('DGC1');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + NONCE_BYTES;

/** Accepts 32 bytes written as 64 hex characters or as base64. */
export function parseEncryptionKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new DeltaGliderError(
      'ERR_DG_USAGE',
      'DG_CACHE_ENCRYPTION_KEY must be 32 bytes, written as 64 hex characters or as base64',
    );
  }
  return key;
}

/** Encrypt `source` into `target` (created 0600, must not exist). */
export async function encryptFile(source: string, target: string, key: Buffer, aad: string): Promise<void> {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad));
  // Frame the ciphertext: header first, tag last (available once the cipher has flushed).
  let headerSent = false;
  const framer = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (!headerSent) {
        headerSent = true;
        this.push(Buffer.concat([MAGIC, nonce]));
      }
      done(null, chunk);
    },
    flush(done) {
      if (!headerSent) this.push(Buffer.concat([MAGIC, nonce]));
      done(null, cipher.getAuthTag());
    },
  });
  await pipeline(createReadStream(source), cipher, framer, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
}

/**
 * Decrypt `source` into `target` (created 0600), passing the plaintext through `observer`
 * (e.g. a hasher) on the way. Throws when the file is malformed, the key is wrong or the
 * bytes were tampered with; the caller treats that as a cache miss.
 */
export async function decryptFile(source: string, target: string, key: Buffer, aad: string, observer?: Transform): Promise<void> {
  const handle = await open(source, 'r');
  let nonce: Buffer;
  let tag: Buffer;
  let size: number;
  try {
    size = (await handle.stat()).size;
    if (size < HEADER_BYTES + TAG_BYTES) throw new Error('encrypted cache entry is truncated');
    const header = Buffer.alloc(HEADER_BYTES);
    await handle.read(header, 0, HEADER_BYTES, 0);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error('not an encrypted cache entry');
    nonce = header.subarray(MAGIC.length);
    tag = Buffer.alloc(TAG_BYTES);
    await handle.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    await handle.close();
  }
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  const cipherEnd = size - TAG_BYTES - 1;
  const ciphertext =
    cipherEnd >= HEADER_BYTES ? createReadStream(source, { start: HEADER_BYTES, end: cipherEnd }) : emptyStream();
  const out = createWriteStream(target, { flags: 'wx', mode: 0o600 });
  if (observer) await pipeline(ciphertext, decipher, observer, out);
  else await pipeline(ciphertext, decipher, out);
}

function emptyStream(): Readable {
  return Readable.from([]);
}
