import { ttlCache } from '../../functions/shared/ttl-cache';

describe('ttlCache', () => {
  it('loads a key once per TTL of the clock it is given, and each key on its own', async () => {
    // Prepare
    let nowMs = Date.parse('2026-11-21T10:00:00Z');
    const loads: string[] = [];
    const cache = ttlCache(
      (key) => {
        loads.push(key);
        return Promise.resolve(`${key}@${loads.length}`);
      },
      1_000,
      { now: () => new Date(nowMs) },
    );

    // Act
    const first = await cache.get('t1');
    nowMs += 999;
    const cached = await cache.get('t1');
    const other = await cache.get('t2');
    nowMs += 1;
    const reloaded = await cache.get('t1');

    // Assess
    expect([first, cached, other, reloaded]).toEqual(['t1@1', 't1@1', 't2@2', 't1@3']);
    expect(loads).toEqual(['t1', 't2', 't1']);
  });

  it('gives callers that find a key expired while it loads that one load, and keeps no failed load', async () => {
    // Prepare: the first load fails, the later ones answer when released.
    const loads: ((value: string) => void)[] = [];
    let calls = 0;
    const cache = ttlCache(
      () => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('timeout'));
        return new Promise<string>((resolve) => loads.push(resolve));
      },
      1_000,
      { now: () => new Date() },
    );

    // Act
    const failed = await cache.get('t1').catch((error: unknown) => (error as Error).message);
    const burst = Array.from({ length: 5 }, () => cache.get('t1'));
    loads[0]!('t1@2');
    const values = await Promise.all(burst);

    // Assess
    expect(failed).toBe('timeout');
    expect(values).toEqual(Array.from({ length: 5 }, () => 't1@2'));
    expect(calls).toBe(2);
    expect(await cache.get('t1')).toBe('t1@2');
    expect(calls).toBe(2);
  });
});
