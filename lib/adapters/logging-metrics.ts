/** Metrics written as log lines (DG_METRICS=logging): handy to see what a run would send. */
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';

export class LoggingMetrics implements Metrics {
  constructor(private readonly logger: Logger) {}

  increment(name: string, value = 1, tags?: Record<string, string>): void {
    this.logger.info('metric', { type: 'count', name, value, ...prefixed(tags) });
  }

  timing(name: string, milliseconds: number, tags?: Record<string, string>): void {
    this.logger.info('metric', { type: 'timing', name, ms: milliseconds, ...prefixed(tags) });
  }

  gauge(name: string, value: number, tags?: Record<string, string>): void {
    this.logger.info('metric', { type: 'gauge', name, value, ...prefixed(tags) });
  }

  async flush(): Promise<void> {}
}

/** Tags become `tag.<name>=` fields so they cannot shadow name/value. */
function prefixed(tags: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) out[`tag.${k}`] = v;
  return out;
}
