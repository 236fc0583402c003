/** The real codec, counting calls per method: lets a test tell which codec paths the service took. */
import * as codec from '../../lib/codec';
import type { CoreCodec } from '../../lib/core';

export interface CountingCodec extends CoreCodec {
  calls: Record<string, number>;
}

export function countingCodec(): CountingCodec {
  const calls: Record<string, number> = {};
  const count = (name: string): void => {
    calls[name] = (calls[name] ?? 0) + 1;
  };
  return {
    calls,
    encodeFile: (...args) => (count('encodeFile'), codec.encodeFile(...args)),
    hashFile: (path) => (count('hashFile'), codec.hashFile(path)),
    writeIdentityDelta: (size, deltaPath) => (count('writeIdentityDelta'), codec.writeIdentityDelta(size, deltaPath)),
    createDecodeStream: (options) => (count('createDecodeStream'), codec.createDecodeStream(options)),
    openReference: (path) => (count('openReference'), codec.openReference(path)),
  };
}
