import {
  assertWritableKey, baseName, deltaKeyOf, deltaspaceOf, hasDeltaSuffix, isHiddenKey, logicalKeyOfDelta, referenceKeyOf,
} from '../../lib/core';
import { classifyStored } from '../../lib/core/lookup';

describe('core keys', () => {
  test('deltaspace and reference key', () => {
    expect(deltaspaceOf('releases/v1.2/app.zip')).toBe('releases/v1.2');
    expect(referenceKeyOf('releases/v1.2')).toBe('releases/v1.2/reference.bin');
    expect(deltaspaceOf('app.zip')).toBe('');
    expect(referenceKeyOf('')).toBe('reference.bin');
    expect(baseName('a/b/c.tar.gz')).toBe('c.tar.gz');
  });

  test('logical <-> stored delta keys', () => {
    expect(deltaKeyOf('a/app.zip')).toBe('a/app.zip.delta');
    expect(logicalKeyOfDelta('a/app.zip.delta')).toBe('a/app.zip');
    expect(logicalKeyOfDelta('a/app.zip')).toBe('a/app.zip');
    expect(hasDeltaSuffix('a/.delta')).toBe(false);
    expect(hasDeltaSuffix('.delta')).toBe(false);
  });

  test('hidden keys: references and .deltaglider/ at the root', () => {
    expect(isHiddenKey('x/reference.bin')).toBe(true);
    expect(isHiddenKey('reference.bin')).toBe(true);
    expect(isHiddenKey('.deltaglider/tmp/abc_file.zip')).toBe(true);
    expect(isHiddenKey('x/my-reference.bin')).toBe(false);
    expect(isHiddenKey('x/app.zip.delta')).toBe(false);
  });

  test('reserved keys are refused for writing', () => {
    expect(() => assertWritableKey('b', 'x/reference.bin')).toThrow(expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT' }));
    expect(() => assertWritableKey('b', '.deltaglider/stats_quick.json')).toThrow(expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT' }));
    expect(() => assertWritableKey('b', 'dir/')).toThrow(expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT' }));
    expect(() => assertWritableKey('b', 'dir/app.zip')).not.toThrow();
  });

  test('a stored .delta key is a delta unless marked dg-compression=none', () => {
    expect(classifyStored('a/x.zip.delta')).toBe('delta');
    expect(classifyStored('a/x.zip.delta', { 'dg-file-sha256': 'ab' })).toBe('delta');
    expect(classifyStored('a/x.delta', { 'dg-compression': 'none' })).toBe('direct');
    expect(classifyStored('a/x.delta', { compression: 'none' })).toBe('direct');
    expect(classifyStored('a/x.zip')).toBe('direct');
  });
});
