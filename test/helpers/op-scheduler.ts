/**
 * Runs the storage operations of concurrent writers in a chosen order, one at a time: each
 * writer runs inside `as(name, fn)`; its storage operations wait for their slot in the
 * schedule (`['A', 'B', 'B', 'A', ...]`). Slots of finished writers are skipped; past the
 * end of the schedule everything runs freely. Attach with `attach(storage)`. A writer may
 * have several operations waiting at once (requests it sends in parallel): its slots take
 * them in the order they were issued.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

import type { MemoryStorage } from './memory-storage';

export class OpScheduler {
  private readonly als = new AsyncLocalStorage<string>();
  private readonly pending = new Map<string, (() => void)[]>();
  private readonly done = new Set<string>();
  private pos = 0;
  private busy = false;
  /** `writer op key`, in the order operations ran. */
  readonly trace: string[] = [];

  constructor(private readonly schedule: readonly string[]) {}

  attach(storage: MemoryStorage): void {
    storage.hook = (op, _bucket, key) => this.before(`${op} ${key}`);
    storage.afterHook = () => {
      if (this.als.getStore() === undefined) return;
      this.busy = false;
      this.advance();
    };
  }

  async as<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.als.run(name, fn);
    } finally {
      this.done.add(name);
      this.advance();
    }
  }

  private before(what: string): Promise<void> | void {
    const me = this.als.getStore();
    if (me === undefined) return;
    return new Promise<void>((resolve) => {
      const queue = this.pending.get(me) ?? [];
      queue.push(() => {
        this.trace.push(`${me} ${what}`);
        resolve();
      });
      this.pending.set(me, queue);
      this.advance();
    });
  }

  private advance(): void {
    if (this.busy) return;
    while (this.pos < this.schedule.length && this.done.has(this.schedule[this.pos])) this.pos++;
    if (this.pos >= this.schedule.length) {
      for (const [name, queue] of [...this.pending]) {
        this.pending.delete(name);
        for (const wake of queue) wake();
      }
      return;
    }
    const wake = this.pending.get(this.schedule[this.pos])?.shift();
    if (!wake) return; // that writer is still computing; wait for its next operation
    this.pos++;
    this.busy = true;
    wake();
  }
}
