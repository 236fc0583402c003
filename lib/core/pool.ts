/**
 * Bounded concurrency over a sequence that may be long or endless (a bucket listing, a
 * directory walk): at most `limit` tasks in flight and nothing pulled ahead of them, so
 * memory stays bounded. N workers pull from one shared iterator, as lib-storage's Upload
 * does. (For a small array with results, lib/core/concurrency.ts `mapLimit`.)
 */
export async function forEachLimit<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`concurrency must be a positive integer, got ${limit}`);
  const iterator: AsyncIterator<T> | Iterator<T> =
    Symbol.asyncIterator in items ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]();
  let index = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failure) {
      // Async generators queue overlapping next() calls, so workers never get the same item.
      const next = await iterator.next();
      if (next.done || failure) return;
      try {
        await task(next.value, index++);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  if (failure) {
    await iterator.return?.();
    throw failure.error;
  }
}

/**
 * Lets the first task of each group run alone, then the rest in parallel. For uploads: the
 * first delta candidate of an empty deltaspace becomes its reference.bin, and uploads racing
 * it would all try to become the reference. Once the first has finished, the others encode
 * against the stored reference concurrently. Memory: one settled promise per group.
 */
export class FirstOfGroupGate {
  private readonly firsts = new Map<string, Promise<unknown>>();

  async run<R>(group: string, task: () => Promise<R>): Promise<R> {
    const first = this.firsts.get(group);
    if (first) {
      await first.catch(() => undefined);
      return task();
    }
    const promise = task();
    this.firsts.set(group, promise);
    return promise;
  }
}
