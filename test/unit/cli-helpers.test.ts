/** The CLI's small pure helpers: s3:// URLs, filters, formatting, --metadata. */
import { filterRulesFromArgv, globToRegExp, PathFilter } from '../../lib/cli/filters';
import { formatDateTime, humanSize, objectLine, prefixLine, savedPercent } from '../../lib/cli/format';
import { parseMetadataOption, userMetadata } from '../../lib/cli/metadata-option';
import { mapLimit } from '../../lib/core/concurrency';
import { resolveStorageConfig } from '../../lib/cli/runtime';
import { directoryPrefix, keyBaseName, parseS3Url } from '../../lib/cli/s3-url';
import { storageNote, resultLine } from '../../lib/cli/transfer-report';

describe('parseS3Url', () => {
  it('splits bucket and key', () => {
    expect(parseS3Url('s3://b-1/a/b.zip')).toEqual({ bucket: 'b-1', key: 'a/b.zip' });
    expect(parseS3Url('s3://bucket')).toEqual({ bucket: 'bucket', key: '' });
    expect(parseS3Url('s3://bucket/')).toEqual({ bucket: 'bucket', key: '' });
    expect(parseS3Url('S3://bucket/p/')).toEqual({ bucket: 'bucket', key: 'p/' });
    expect(parseS3Url('s3://b/k')).toEqual({ bucket: 'b', key: 'k' });
  });
  it.each(['s3://', 's3:///key', 'bucket/key', 'http://b/k', 's3://bad!name/k', 's3://-x/k'])('refuses %s as a usage error', (url) => {
    expect(() => parseS3Url(url)).toThrow(expect.objectContaining({ code: 'ERR_DG_USAGE' }));
  });
  it('names keys and prefixes', () => {
    expect(keyBaseName('a/b/c.zip')).toBe('c.zip');
    expect(keyBaseName('c.zip')).toBe('c.zip');
    expect(directoryPrefix('')).toBe('');
    expect(directoryPrefix('a')).toBe('a/');
    expect(directoryPrefix('a/')).toBe('a/');
  });
});

describe('filters (aws semantics)', () => {
  it('globs: * spans /, ? is one char, [..] and [!..] classes, the rest literal', () => {
    expect(globToRegExp('*.zip').test('sub/a.zip')).toBe(true);
    expect(globToRegExp('a?.zip').test('a1.zip')).toBe(true);
    expect(globToRegExp('a?.zip').test('a12.zip')).toBe(false);
    expect(globToRegExp('v[0-9].tar').test('v7.tar')).toBe(true);
    expect(globToRegExp('v[!0-9].tar').test('v7.tar')).toBe(false);
    expect(globToRegExp('a.zip').test('abzip')).toBe(false);
    expect(globToRegExp('(x)+').test('(x)+')).toBe(true);
  });
  it('includes everything by default, and the last matching rule decides', () => {
    expect(new PathFilter([]).includes('anything')).toBe(true);
    const zipsOnly = new PathFilter([{ kind: 'exclude', pattern: '*' }, { kind: 'include', pattern: '*.zip' }]);
    expect(zipsOnly.includes('a.zip')).toBe(true);
    expect(zipsOnly.includes('a.txt')).toBe(false);
    const reversed = new PathFilter([{ kind: 'include', pattern: '*.zip' }, { kind: 'exclude', pattern: '*' }]);
    expect(reversed.includes('a.zip')).toBe(false);
  });
  it('reads the rules in command-line order, both spellings', () => {
    expect(filterRulesFromArgv(['cp', 'a', 'b', '--exclude', '*', '--include=*.zip', '--', '--exclude', 'x'])).toEqual([
      { kind: 'exclude', pattern: '*' },
      { kind: 'include', pattern: '*.zip' },
    ]);
    expect(() => filterRulesFromArgv(['--include'])).toThrow(expect.objectContaining({ code: 'ERR_DG_USAGE' }));
  });
});

describe('format', () => {
  it('prints sizes like aws --human-readable', () => {
    expect(humanSize(0)).toBe('0 Bytes');
    expect(humanSize(1023)).toBe('1023 Bytes');
    expect(humanSize(1024)).toBe('1.0 KiB');
    expect(humanSize(1.5 * 1024 * 1024)).toBe('1.5 MiB');
    expect(humanSize(6 * 1024 ** 3)).toBe('6.0 GiB');
  });
  it('lays out ls lines', () => {
    const date = new Date(2024, 0, 2, 3, 4, 5);
    expect(formatDateTime(date)).toBe('2024-01-02 03:04:05');
    expect(objectLine('a.zip', 1234, date, false)).toBe('2024-01-02 03:04:05       1234 a.zip');
    expect(prefixLine('dir/')).toBe(' '.repeat(27) + 'PRE dir/');
    expect(savedPercent(1000, 3)).toBe('99.7% saved');
    expect(savedPercent(0, 0)).toBe('0.0% saved');
  });
  it('describes how an upload was stored', () => {
    expect(storageNote({ operation: 'upload', source: 'a', status: 'ok', storedAs: 'delta', size: 1258291, storedSize: 3482 })).toBe(
      ' (delta, 1.2 MiB -> 3.4 KiB, 99.7% saved)',
    );
    expect(storageNote({ operation: 'upload', source: 'a', status: 'ok', storedAs: 'direct', directReason: 'not-a-candidate' })).toBe(
      ' (direct: not a delta candidate)',
    );
    expect(
      resultLine({ operation: 'upload', source: 'a', destination: 's3://b/a', status: 'failed', error: { code: 'ERR_DG_STORAGE', message: 'boom' } }),
    ).toBe('upload failed: a to s3://b/a An error occurred (ERR_DG_STORAGE): boom');
  });
});

describe('--metadata', () => {
  it('parses the shorthand and JSON, lowercasing names', () => {
    expect(parseMetadataOption('Build=42,branch=main')).toEqual({ build: '42', branch: 'main' });
    expect(parseMetadataOption('k=a=b')).toEqual({ k: 'a=b' });
    expect(parseMetadataOption('{"team":"web"}')).toEqual({ team: 'web' });
  });
  it.each(['novalue', '=x', 'dg-note=x', 'bad name=x', '{"a":1}', '{nope', 'k=caf\u00e9', `k=${'x'.repeat(2000)}`])('refuses %s', (v) => {
    expect(() => parseMetadataOption(v)).toThrow(expect.objectContaining({ code: 'ERR_DG_USAGE' }));
  });
  it('keeps only user metadata of a stored object', () => {
    expect(userMetadata({ 'dg-file-sha256': 'x', file_sha256: 'y', build: '1' })).toEqual({ build: '1' });
  });
});

describe('mapLimit', () => {
  it('bounds parallelism and keeps result order', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (n) => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, n));
      active--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
  });
});

describe('resolveStorageConfig', () => {
  it('prefers options over the environment', () => {
    expect(resolveStorageConfig({}, { AWS_ENDPOINT_URL: 'file:///x', AWS_DEFAULT_REGION: 'eu-west-1', AWS_PROFILE: 'p' })).toEqual({
      endpointUrl: 'file:///x', region: 'eu-west-1', profile: 'p',
    });
    expect(resolveStorageConfig({ endpointUrl: 'http://h', region: 'r' }, { AWS_ENDPOINT_URL: 'file:///x' })).toMatchObject({
      endpointUrl: 'http://h', region: 'r',
    });
  });
});
