/** A token bucket's settings: the steady refill per second and the bucket's size (requests at once). */
export interface BucketLimits {
  ratePerSecond: number;
  burst: number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  atMs: number;
  limits: BucketLimits;
}

/**
 * Token buckets by key, as API Gateway throttles a usage plan's API key: a bucket starts full (`burst`
 * tokens), refills at `ratePerSecond`, and a request that finds less than one token is refused. Limits
 * may change between requests (a tenant moved to another plan): the bucket keeps its tokens, capped by
 * the new size.
 * @example buckets.take('tenant-a', { ratePerSecond: 5, burst: 5 }, Date.now()) // { allowed: true }
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  take(key: string, limits: BucketLimits, nowMs: number): TakeResult {
    const bucket = this.refilled(key, limits, nowMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    const secondsToNextToken = limits.ratePerSecond > 0 ? (1 - bucket.tokens) / limits.ratePerSecond : Infinity;
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(secondsToNextToken)) };
  }

  private refilled(key: string, limits: BucketLimits, nowMs: number): Bucket {
    const bucket = this.buckets.get(key);
    if (!bucket) {
      const fresh = { tokens: limits.burst, atMs: nowMs, limits };
      this.buckets.set(key, fresh);
      return fresh;
    }
    const elapsedSeconds = Math.max(0, nowMs - bucket.atMs) / 1000;
    bucket.tokens = Math.min(limits.burst, bucket.tokens + elapsedSeconds * limits.ratePerSecond);
    bucket.atMs = nowMs;
    bucket.limits = limits;
    return bucket;
  }
}
