/**
 * Open references kept for encoding, so that many uploads into one deltaspace (a `sync`,
 * a CI job pushing several artifacts) index the reference once instead of once per file.
 * Small (a few entries, least recently used evicted) and self-emptying: an entry idle for
 * a while is closed, so a long-running service does not hold reference indexes forever.
 */
import type { ReferenceInput } from '../codec/types';
import type { CachedReference } from '../ports/reference-cache';
import type { CoreCodec } from './codec';

interface Entry {
  reference: ReferenceInput;
  cached: CachedReference;
  close: () => void;
  timer?: NodeJS.Timeout;
}

export class ReferencePool {
  private readonly entries = new Map<string, Promise<Entry>>();

  constructor(
    private readonly codec: CoreCodec,
    private readonly capacity = 2,
    private readonly idleMs = 30_000,
  ) {}

  /** The reference with this SHA-256, opened (and indexed) once; `load` fetches it on a miss. */
  async acquire(sha256: string, load: () => Promise<CachedReference>): Promise<ReferenceInput> {
    let pending = this.entries.get(sha256);
    if (pending) {
      this.entries.delete(sha256); // re-insert: most recently used last
    } else {
      pending = this.open(load);
      pending.catch(() => this.entries.delete(sha256));
    }
    this.entries.set(sha256, pending);
    this.evictBeyondCapacity();
    const entry = await pending;
    this.touch(sha256, entry);
    return entry.reference;
  }

  /** Close everything (the service is done). */
  async close(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((p) => p.then(dispose, () => undefined)));
  }

  private async open(load: () => Promise<CachedReference>): Promise<Entry> {
    const cached = await load();
    if (!this.codec.openReference) return { reference: cached.path, cached, close: () => undefined };
    try {
      const handle = this.codec.openReference(cached.path);
      return { reference: handle, cached, close: () => handle.close() };
    } catch (err) {
      await cached.release();
      throw err;
    }
  }

  private touch(sha256: string, entry: Entry): void {
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      const current = this.entries.get(sha256);
      this.entries.delete(sha256);
      void current?.then(dispose, () => undefined);
    }, this.idleMs);
    entry.timer.unref();
  }

  private evictBeyondCapacity(): void {
    while (this.entries.size > this.capacity) {
      const [oldest, pending] = this.entries.entries().next().value as [string, Promise<Entry>];
      this.entries.delete(oldest);
      // An encode still running on it keeps the native reference alive until it finishes.
      void pending.then(dispose, () => undefined);
    }
  }
}

async function dispose(entry: Entry): Promise<void> {
  if (entry.timer) clearTimeout(entry.timer);
  entry.close();
  await entry.cached.release().catch(() => undefined);
}
