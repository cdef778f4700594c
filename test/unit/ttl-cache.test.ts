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
});
