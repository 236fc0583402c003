import {
  deltaMetadata, directMetadata, fitMetadata, parseDeltaMetadata, readField, readTimestamp, referenceMetadata, spellingsOf, userMetadata,
} from '../../lib/core';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);

describe('core metadata', () => {
  test('legacy spellings are tried in the documented order', () => {
    expect(spellingsOf('file-sha256')).toEqual(['dg-file-sha256', 'dg_file_sha256', 'file_sha256', 'file-sha256']);
    expect(spellingsOf('tool')).toEqual(['dg-tool', 'dg_tool', 'tool']);
    expect(spellingsOf('compression')).toEqual(['dg-compression', 'dg_compression', 'compression']);
  });

  test.each(['dg-file-sha256', 'dg_file_sha256', 'file_sha256', 'file-sha256'])('reads %s', (name) => {
    expect(readField({ [name]: SHA_A }, 'file-sha256')).toBe(SHA_A);
  });

  test('first non-empty spelling wins', () => {
    expect(readField({ 'dg-file-sha256': '', dg_file_sha256: SHA_B, file_sha256: SHA_A }, 'file-sha256')).toBe(SHA_B);
    expect(readField({ 'file-sha256': SHA_A, 'dg-file-sha256': SHA_B }, 'file-sha256')).toBe(SHA_B);
  });

  test('delta metadata validates hashes and sizes, naming object and field', () => {
    const good = { 'dg-file-sha256': SHA_A.toUpperCase(), 'dg-ref-sha256': SHA_B, 'dg-file-size': '123', 'dg-delta-size': '7' };
    expect(parseDeltaMetadata(good, 's3://b/k.delta')).toMatchObject({ fileSha256: SHA_A, refSha256: SHA_B, fileSize: 123, deltaSize: 7 });
    const cases: [Record<string, string>, RegExp][] = [
      [{ ...good, 'dg-file-sha256': '' }, /s3:\/\/b\/k\.delta: metadata dg-file-sha256 is missing/],
      [{ ...good, 'dg-ref-sha256': 'xyz' }, /dg-ref-sha256 is not a SHA-256/],
      [{ ...good, 'dg-file-sha256': SHA_A + '0' }, /dg-file-sha256 is not a SHA-256/],
      [{ ...good, 'dg-file-size': '12.5' }, /dg-file-size is not a byte count/],
      [{ ...good, 'dg-file-size': '-1' }, /dg-file-size is not a byte count/],
      [{ ...good, 'dg-delta-size': '99999999999999999999' }, /dg-delta-size is not a byte count/],
    ];
    for (const [meta, message] of cases) {
      expect(() => parseDeltaMetadata(meta, 's3://b/k.delta')).toThrow(expect.objectContaining({ code: 'ERR_DG_BAD_METADATA', message: expect.stringMatching(message) }));
    }
  });

  test('timestamps: naive values are UTC, zoned values kept, garbage ignored', () => {
    expect(readTimestamp({ 'dg-created-at': '2025-10-01T12:30:00' }, 'created-at')?.toISOString()).toBe('2025-10-01T12:30:00.000Z');
    expect(readTimestamp({ 'dg-created-at': '2025-10-01T12:30:00.123456Z' }, 'created-at')?.toISOString()).toBe('2025-10-01T12:30:00.123Z');
    expect(readTimestamp({ created_at: '2025-10-01T12:30:00+02:00' }, 'created-at')?.toISOString()).toBe('2025-10-01T10:30:00.000Z');
    expect(readTimestamp({ 'dg-created-at': 'yesterday' }, 'created-at')).toBeUndefined();
  });

  test('writers use the dg- spelling only', () => {
    const now = new Date('2026-01-02T03:04:05Z');
    expect(referenceMetadata({ tool: 't/1', sourceName: 'a.zip', sha256: SHA_A, createdAt: now })).toEqual({
      'dg-tool': 't/1', 'dg-source-name': 'a.zip', 'dg-file-sha256': SHA_A, 'dg-created-at': '2026-01-02T03:04:05.000Z', 'dg-note': 'reference',
    });
    expect(Object.keys(deltaMetadata({
      tool: 't', originalName: 'a.zip', sha256: SHA_A, size: 1, createdAt: now, refKey: 'reference.bin', refSha256: SHA_B, deltaSize: 2, deltaFormat: 'vcdiff', deltaCmd: 'c',
    })).sort()).toEqual(['dg-created-at', 'dg-delta-cmd', 'dg-delta-format', 'dg-delta-size', 'dg-file-sha256', 'dg-file-size', 'dg-original-name', 'dg-ref-key', 'dg-ref-sha256', 'dg-tool']);
    expect(directMetadata({ tool: 't', originalName: 'a.txt', sha256: SHA_A, size: 5, createdAt: now })['dg-compression']).toBe('none');
  });

  test('user metadata may not masquerade as ours', () => {
    expect(userMetadata({ Build: '42', note: 'hi' })).toEqual({ build: '42', note: 'hi' });
    for (const name of ['dg-file-sha256', 'file_sha256', 'compression', 'DG-anything', 'ref-sha256']) {
      expect(() => userMetadata({ [name]: 'x' })).toThrow(expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT' }));
    }
  });
});

describe('metadata size limit', () => {
  test('drops the informational dg-delta-cmd first, then refuses', () => {
    const small = { 'dg-file-sha256': SHA_A, 'dg-delta-cmd': 'x' };
    expect(fitMetadata(small, 'w')).toBe(small);
    const long = 'n'.repeat(900);
    expect(fitMetadata({ 'dg-original-name': long, 'dg-delta-cmd': `${long} ${long}` }, 'w')).toEqual({ 'dg-original-name': long });
    expect(() => fitMetadata({ big: 'v'.repeat(2100) }, 's3://b/k')).toThrow(expect.objectContaining({ code: 'ERR_DG_INVALID_ARGUMENT', message: expect.stringContaining('s3://b/k') }));
  });
});
