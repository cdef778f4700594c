import { TokenBuckets } from '../../functions/domain/token-bucket';

const limits = { ratePerSecond: 5, burst: 5 };

const takeMany = (buckets: TokenBuckets, key: string, count: number, nowMs: number) =>
  Array.from({ length: count }, () => buckets.take(key, limits, nowMs).allowed).filter(Boolean).length;

describe('token buckets', () => {
  it('lets a burst through at once, then refuses with a retry time', () => {
    const buckets = new TokenBuckets();

    expect(takeMany(buckets, 'a', 5, 0)).toBe(5);
    expect(buckets.take('a', limits, 0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at the steady rate, never beyond the burst', () => {
    const buckets = new TokenBuckets();
    takeMany(buckets, 'a', 5, 0);

    expect(takeMany(buckets, 'a', 10, 400)).toBe(2);
    expect(takeMany(buckets, 'a', 10, 60_000)).toBe(5);
  });

  it('keeps each key to its own bucket', () => {
    const buckets = new TokenBuckets();
    takeMany(buckets, 'a', 20, 0);

    expect(takeMany(buckets, 'b', 5, 0)).toBe(5);
  });

  it('applies changed limits to the same bucket, capped by the new size', () => {
    const buckets = new TokenBuckets();
    buckets.take('a', { ratePerSecond: 100, burst: 100 }, 0);

    const passed = Array.from({ length: 10 }, () => buckets.take('a', { ratePerSecond: 1, burst: 3 }, 0).allowed);
    expect(passed.filter(Boolean)).toHaveLength(3);
  });

  it('says how long until a token is back at a slow rate', () => {
    const buckets = new TokenBuckets();
    buckets.take('a', { ratePerSecond: 0.25, burst: 1 }, 0);

    expect(buckets.take('a', { ratePerSecond: 0.25, burst: 1 }, 0)).toEqual({ allowed: false, retryAfterSeconds: 4 });
  });
});
