/** Metrics: counters and timings from the service (noop, logging or CloudWatch adapters). */
export interface Metrics {
  increment(name: string, value?: number, tags?: Record<string, string>): void;
  timing(name: string, milliseconds: number, tags?: Record<string, string>): void;
  gauge(name: string, value: number, tags?: Record<string, string>): void;
  /** Send anything buffered (CloudWatch); noop elsewhere. */
  flush(): Promise<void>;
}

export const noopMetrics: Metrics = {
  increment() {},
  timing() {},
  gauge() {},
  flush: async () => {},
};
