import { forEachLimit } from '../../lib/core/pool';

const tick = (ms = 2) => new Promise((r) => setTimeout(r, ms));

describe('forEachLimit', () => {
  it('keeps at most `limit` tasks in flight and pulls no further ahead', async () => {
    let pulled = 0;
    let running = 0;
    let peak = 0;
    let maxAhead = 0;
    let done = 0;
    async function* items() {
      for (let i = 0; i < 30; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - done);
        yield i;
      }
    }
    await forEachLimit(items(), 4, async () => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      running--;
      done++;
    });
    expect(done).toBe(30);
    expect(peak).toBe(4);
    expect(maxAhead).toBeLessThanOrEqual(4);
  });

  it('stops pulling after a failure and rethrows the first error', async () => {
    const seen: number[] = [];
    await expect(
      forEachLimit([1, 2, 3, 4, 5, 6, 7, 8], 2, async (n) => {
        seen.push(n);
        await tick();
        if (n === 2) throw new Error('boom 2');
      }),
    ).rejects.toThrow('boom 2');
    expect(seen.length).toBeLessThan(8);
    await expect(forEachLimit([1], 0, async () => {})).rejects.toThrow(RangeError);
  });
});
