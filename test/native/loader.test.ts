/** The loader: finds the local build, and fails with one actionable message otherwise. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { loadBinding, loadBindingFrom } from '../../lib/codec/binding';
import { DeltaGliderError } from '../../lib/errors';

describe('loadBinding', () => {
  it('loads the addon and caches it', () => {
    const binding = loadBinding();
    expect(typeof binding.Encoder).toBe('function');
    expect(loadBinding()).toBe(binding);
  });

  it('says what it tried and how to fix it when no binary is found', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-loader-'));
    try {
      let err: unknown;
      try {
        loadBindingFrom(root);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DeltaGliderError);
      const { code, message } = err as DeltaGliderError;
      expect(code).toBe('ERR_DG_NATIVE_LOAD');
      expect(message).toContain(path.join(root, 'build', 'Release'));
      expect(message).toContain(path.join(root, 'prebuilds', `${process.platform}-${process.arch}`));
      expect(message).toContain('npm rebuild deltaglider');
      expect(message).toContain('liblzma-dev');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('mentions PREBUILDS_ONLY when it is set', () => {
    const saved = process.env.PREBUILDS_ONLY;
    process.env.PREBUILDS_ONLY = '1';
    try {
      expect(() => loadBindingFrom(os.tmpdir())).toThrow(/skipped: PREBUILDS_ONLY is set/);
    } finally {
      if (saved === undefined) delete process.env.PREBUILDS_ONLY;
      else process.env.PREBUILDS_ONLY = saved;
    }
  });
});
