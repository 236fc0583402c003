/**
 * Choose metrics from the environment: DG_METRICS = noop (default) | logging | cloudwatch;
 * DG_METRICS_NAMESPACE for CloudWatch (default "DeltaGlider").
 */
import { DeltaGliderError } from '../errors';
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import { LoggingMetrics } from './logging-metrics';
import { NoopMetrics } from './noop-metrics';

export function createMetrics(env: NodeJS.ProcessEnv = process.env, logger?: Logger): Metrics {
  const kind = (env.DG_METRICS || 'noop').toLowerCase();
  switch (kind) {
    case 'noop':
    case 'none':
      return new NoopMetrics();
    case 'logging':
      if (!logger) throw new DeltaGliderError('ERR_DG_USAGE', 'DG_METRICS=logging needs a logger');
      return new LoggingMetrics(logger);
    case 'cloudwatch': {
      // Loaded only when chosen: the CloudWatch client is a large part of the AWS SDK.
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { CloudWatchMetrics } = require('./cloudwatch-metrics') as typeof import('./cloudwatch-metrics');
      return new CloudWatchMetrics({
        namespace: env.DG_METRICS_NAMESPACE || 'DeltaGlider',
        region: env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined,
        logger,
      });
    }
    default:
      throw new DeltaGliderError('ERR_DG_USAGE', `DG_METRICS must be noop, logging or cloudwatch; got ${JSON.stringify(env.DG_METRICS)}`);
  }
}
