import { FirstOfGroupGate, forEachLimit } from '../../lib/core/pool';

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

describe('FirstOfGroupGate', () => {
  it('runs the first task of a group alone, then the rest together; groups are independent', async () => {
    const gate = new FirstOfGroupGate();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
      return name;
    };
    const results = await Promise.all([
      gate.run('a', task('a1', 20)),
      gate.run('a', task('a2', 1)),
      gate.run('a', task('a3', 1)),
      gate.run('b', task('b1', 1)),
    ]);
    expect(results).toEqual(['a1', 'a2', 'a3', 'b1']);
    expect(log.indexOf('start a2')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start a3')).toBeGreaterThan(log.indexOf('end a1'));
    expect(log.indexOf('start b1')).toBeLessThan(log.indexOf('end a1'));
  });

  it('lets the others go on when the first fails', async () => {
    const gate = new FirstOfGroupGate();
    const first = gate.run('g', async () => {
      await tick();
      throw new Error('first failed');
    });
    const second = gate.run('g', async () => 'ok');
    await expect(first).rejects.toThrow('first failed');
    await expect(second).resolves.toBe('ok');
  });
});
