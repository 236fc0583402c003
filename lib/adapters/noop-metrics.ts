/** Metrics that go nowhere (the default). */
import type { Metrics } from '../ports/metrics';

export class NoopMetrics implements Metrics {
  increment(): void {}
  timing(): void {}
  gauge(): void {}
  async flush(): Promise<void> {}
}
