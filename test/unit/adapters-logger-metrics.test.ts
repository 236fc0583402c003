import { PassThrough } from 'node:stream';
import type { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { createLogger, formatLine } from '../../lib/adapters/logger';
import { CloudWatchMetrics } from '../../lib/adapters/cloudwatch-metrics';
import { LoggingMetrics } from '../../lib/adapters/logging-metrics';
import { NoopMetrics } from '../../lib/adapters/noop-metrics';
import { createMetrics } from '../../lib/adapters/create-metrics';
import { resolveEndpoint } from '../../lib/adapters/endpoint';
import { buildS3ClientConfig, resolveRegion } from '../../lib/adapters/s3-client-config';
import { DeltaGliderError } from '../../lib/errors';

function capture(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}

describe('logger', () => {
  it('writes levelled key=value lines and filters by level', () => {
    const out = capture();
    const log = createLogger({ level: 'info', stream: out.stream });
    log.debug('hidden');
    log.info('uploaded delta', { key: 'rel/app.zip', ratio: 0.031, note: 'two words', skip: undefined });
    log.error('failed', { error: new DeltaGliderError('ERR_DG_NOT_FOUND', 'no such key') });
    expect(out.lines()).toEqual([
      'deltaglider INFO uploaded delta key=rel/app.zip ratio=0.031 note="two words"',
      'deltaglider ERROR failed error="ERR_DG_NOT_FOUND: no such key"',
    ]);
  });

  it('takes its level from DG_LOG_LEVEL and rejects unknown levels', () => {
    const out = capture();
    createLogger({ stream: out.stream, env: { DG_LOG_LEVEL: 'DEBUG' } }).debug('shown');
    createLogger({ stream: out.stream, env: {} }).info('hidden at the default warn level');
    expect(out.lines()).toEqual(['deltaglider DEBUG shown']);
    expect(() => createLogger({ env: { DG_LOG_LEVEL: 'loud' } })).toThrow(expect.objectContaining({ code: 'ERR_DG_USAGE' }));
    expect(formatLine('warn', 'x', { obj: { a: 1 }, empty: '' })).toBe('deltaglider WARN x obj={"a":1} empty=""');
  });
});

describe('metrics', () => {
  it('LoggingMetrics logs each data point', async () => {
    const out = capture();
    const m = new LoggingMetrics(createLogger({ level: 'info', stream: out.stream }));
    m.increment('put', 2, { kind: 'delta' });
    m.timing('encode', 12.5);
    m.gauge('ratio', 0.1);
    await m.flush();
    expect(out.lines()).toEqual([
      'deltaglider INFO metric type=count name=put value=2 tag.kind=delta',
      'deltaglider INFO metric type=timing name=encode ms=12.5',
      'deltaglider INFO metric type=gauge name=ratio value=0.1',
    ]);
  });

  it('CloudWatchMetrics buffers and sends batches of at most 1000 on flush', async () => {
    const sent: PutMetricDataCommand[] = [];
    const m = new CloudWatchMetrics({ namespace: 'Test', client: { send: async (c) => void sent.push(c) } });
    m.increment('uploads', 1, { bucket: 'b' });
    m.timing('latency', 40);
    m.gauge('ratio', 0.25);
    for (let i = 0; i < 1500; i++) m.increment('many');
    expect(sent).toHaveLength(0); // nothing before flush
    await m.flush();
    expect(sent.map((c) => c.input.MetricData?.length)).toEqual([1000, 503]);
    expect(sent[0].input.Namespace).toBe('Test');
    expect(sent[0].input.MetricData?.slice(0, 3)).toEqual([
      expect.objectContaining({ MetricName: 'uploads', Value: 1, Unit: 'Count', Dimensions: [{ Name: 'bucket', Value: 'b' }] }),
      expect.objectContaining({ MetricName: 'latency', Value: 40, Unit: 'Milliseconds' }),
      expect.objectContaining({ MetricName: 'ratio', Value: 0.25, Unit: 'None' }),
    ]);
    await m.flush();
    expect(sent).toHaveLength(2); // buffer emptied
  });

  it('CloudWatch failures are logged, never thrown', async () => {
    const out = capture();
    const m = new CloudWatchMetrics({
      client: { send: async () => Promise.reject(new Error('throttled')) },
      logger: createLogger({ level: 'warn', stream: out.stream }),
    });
    m.increment('x');
    await expect(m.flush()).resolves.toBeUndefined();
    expect(out.lines()[0]).toContain('could not send metrics to CloudWatch points=1 error=throttled');
  });

  it('createMetrics chooses by DG_METRICS', () => {
    const logger = createLogger({ level: 'silent' });
    expect(createMetrics({}, logger)).toBeInstanceOf(NoopMetrics);
    expect(createMetrics({ DG_METRICS: 'logging' }, logger)).toBeInstanceOf(LoggingMetrics);
    const cw = createMetrics({ DG_METRICS: 'cloudwatch', DG_METRICS_NAMESPACE: 'Mine', AWS_REGION: 'eu-west-1' }, logger);
    expect(cw).toBeInstanceOf(CloudWatchMetrics);
    expect((cw as CloudWatchMetrics).namespace).toBe('Mine');
    expect(() => createMetrics({ DG_METRICS: 'statsd' }, logger)).toThrow(expect.objectContaining({ code: 'ERR_DG_USAGE' }));
  });
});

describe('S3 client configuration', () => {
  it('resolves endpoint and region like the aws CLI', () => {
    expect(resolveEndpoint(undefined, { AWS_ENDPOINT_URL: 'http://a' })).toBe('http://a');
    expect(resolveEndpoint(undefined, { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3' })).toBe('http://s3');
    expect(resolveEndpoint('http://opt', { AWS_ENDPOINT_URL: 'http://a' })).toBe('http://opt');
    expect(resolveEndpoint(undefined, {})).toBeUndefined();
    expect(resolveRegion(undefined, { AWS_DEFAULT_REGION: 'eu-west-2' })).toBe('eu-west-2');
    expect(resolveRegion(undefined, { AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-2' })).toBe('eu-west-1');
    expect(resolveRegion(undefined, {})).toBe('us-east-1');
  });

  it('uses path style for custom endpoints and only required checksums', () => {
    const custom = buildS3ClientConfig({ endpointUrl: 'http://minio:9000' }, {});
    expect(custom).toMatchObject({
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 5,
    });
    expect(buildS3ClientConfig({}, {})).toMatchObject({ forcePathStyle: false, region: 'us-east-1' });
    expect(buildS3ClientConfig({}, {}).credentials).toBeUndefined();
    expect(typeof buildS3ClientConfig({ profile: 'ci' }, {}).credentials).toBe('function');
  });
});
