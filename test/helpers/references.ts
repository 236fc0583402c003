/**
 * Test helpers for the write-once reference layout (`<ds>/.deltaglider/refs/<sha256>-<nonce>/
 * reference.bin`, with a random nonce): find a deltaspace's references in any StoragePort,
 * and show them in key lists as `<ds>/[ref]` so expected listings stay readable.
 */
import { listAll, type StoragePort } from '../../lib/ports/storage';

const WRITE_ONCE = /(^|\/)\.deltaglider\/refs\/[0-9a-f]{64}-[0-9a-f]{12}\/reference\.bin$/;

/** Keys with each write-once reference key replaced by `<ds>/[ref]`, sorted. */
export function withRefsShort(keys: readonly string[]): string[] {
  return keys.map((k) => k.replace(WRITE_ONCE, '$1[ref]')).sort();
}

/** The write-once reference keys of a deltaspace. */
export async function referencesOf(storage: StoragePort, bucket: string, deltaspace: string): Promise<string[]> {
  const prefix = `${deltaspace === '' ? '' : `${deltaspace}/`}.deltaglider/refs/`;
  const keys: string[] = [];
  for await (const o of listAll(storage, bucket, { prefix })) if (WRITE_ONCE.test(o.key)) keys.push(o.key);
  return keys;
}

/** The one write-once reference key of a deltaspace; throws unless there is exactly one. */
export async function referenceOf(storage: StoragePort, bucket: string, deltaspace: string): Promise<string> {
  const keys = await referencesOf(storage, bucket, deltaspace);
  if (keys.length !== 1) throw new Error(`expected one reference in ${bucket}/${deltaspace}, found ${JSON.stringify(keys)}`);
  return keys[0];
}
