/**
 * Metrics to Amazon CloudWatch (DG_METRICS=cloudwatch). Data points are buffered in memory
 * and sent by flush() with PutMetricData, at most 1000 per request (the API's limit), so a
 * CLI run costs one request instead of one per event. Tags become dimensions.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum, type StandardUnit } from '@aws-sdk/client-cloudwatch';
import type { Logger } from '../ports/logger';
import { nullLogger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import { silenceSdkNodeVersionWarning } from './sdk-node-warning';

/** What we need of a CloudWatch client; tests pass a fake. */
export interface PutMetricDataSender {
  send(command: PutMetricDataCommand): Promise<unknown>;
}

export interface CloudWatchMetricsOptions {
  /** Default "DeltaGlider". */
  namespace?: string;
  region?: string;
  client?: PutMetricDataSender;
  /** Flush failures are logged, never thrown: metrics must not fail an upload. */
  logger?: Logger;
  /** Buffered points before older ones are dropped (bounded memory in long-lived services). */
  maxBuffered?: number;
}

const BATCH = 1000;
/** CloudWatch accepts at most 30 dimensions per metric. */
const MAX_DIMENSIONS = 30;

export class CloudWatchMetrics implements Metrics {
  readonly namespace: string;
  private readonly client: PutMetricDataSender;
  private readonly logger: Logger;
  private readonly maxBuffered: number;
  private buffer: MetricDatum[] = [];

  constructor(options: CloudWatchMetricsOptions = {}) {
    this.namespace = options.namespace ?? 'DeltaGlider';
    this.logger = options.logger ?? nullLogger;
    this.maxBuffered = options.maxBuffered ?? 10_000;
    if (options.client) {
      this.client = options.client;
    } else {
      silenceSdkNodeVersionWarning();
      this.client = new CloudWatchClient(options.region ? { region: options.region } : {});
    }
  }

  increment(name: string, value = 1, tags?: Record<string, string>): void {
    this.record(name, value, 'Count', tags);
  }

  timing(name: string, milliseconds: number, tags?: Record<string, string>): void {
    this.record(name, milliseconds, 'Milliseconds', tags);
  }

  gauge(name: string, value: number, tags?: Record<string, string>): void {
    this.record(name, value, 'None', tags);
  }

  async flush(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, BATCH);
      try {
        await this.client.send(new PutMetricDataCommand({ Namespace: this.namespace, MetricData: batch }));
      } catch (err) {
        this.logger.warn('could not send metrics to CloudWatch', { points: batch.length, error: err });
      }
    }
  }

  private record(name: string, value: number, unit: StandardUnit, tags?: Record<string, string>): void {
    if (!Number.isFinite(value)) return;
    if (this.buffer.length >= this.maxBuffered) this.buffer.shift();
    const dimensions = Object.entries(tags ?? {})
      .slice(0, MAX_DIMENSIONS)
      .map(([Name, Value]) => ({ Name, Value }));
    this.buffer.push({
      MetricName: name,
      Value: value,
      Unit: unit,
      Timestamp: new Date(),
      ...(dimensions.length ? { Dimensions: dimensions } : {}),
    });
  }
}
