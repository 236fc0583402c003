/**
 * Where the xdelta3 interop vectors live: test/fixtures/xdelta3, written by
 * scripts/make-xdelta3-vectors.js with the real xdelta3 (inputs, deltas, printhdrs dumps and
 * manifest.json; paths in the manifest are relative to this folder).
 */
import { join } from 'node:path';

export const VECTORS = join(__dirname, '..', 'fixtures', 'xdelta3');
