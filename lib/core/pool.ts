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
