import type { Statistic } from '../functions/declaration/dashboard';

/** One bucket of one metric: exact count, sum and maximum, and a bounded sample for percentiles. */
interface Bucket {
  start: number;
  count: number;
  sum: number;
  max: number;
  samples: number[];
}

export interface MetricsStoreOptions {
  /** The width of a bucket; ten seconds by default. */
  bucketMs?: number;
  /** How far back buckets are kept; fifteen minutes by default. */
  retainMs?: number;
  /** Samples kept per bucket for percentiles (reservoir sampling past it). */
  samplesPerBucket?: number;
  now?: () => number;
}

const PERCENTILES: Partial<Record<Statistic, number>> = { p50: 0.5, p90: 0.9, p99: 0.99 };

/** The value at quantile `q` of the samples (nearest rank), as CloudWatch's pNN statistics read. */
function percentile(samples: number[], q: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? null;
}

/**
 * The twin's CloudWatch in miniature: values recorded per metric key into fixed time buckets for the last
 * fifteen minutes, read back as the dashboard's statistics over a period. A period without values reads as
 * no data (null), except Sum and SampleCount, which read 0: nothing happened.
 *
 * @example
 * store.record('api/Count', 1);
 * store.statistic('api/Count', 'Sum', 60_000); // requests in the last minute
 */
export class MetricsStore {
  private readonly buckets = new Map<string, Bucket[]>();
  readonly bucketMs: number;
  readonly retainMs: number;
  private readonly samplesPerBucket: number;
  private readonly now: () => number;

  constructor(options: MetricsStoreOptions = {}) {
    this.bucketMs = options.bucketMs ?? 10_000;
    this.retainMs = options.retainMs ?? 15 * 60_000;
    this.samplesPerBucket = options.samplesPerBucket ?? 2_000;
    this.now = options.now ?? Date.now;
  }

  /** Records one value of a metric at the current time. */
  record(key: string, value: number): void {
    if (!Number.isFinite(value)) return;
    const now = this.now();
    const start = now - (now % this.bucketMs);
    const list = this.buckets.get(key) ?? [];
    let bucket = list.at(-1);
    if (bucket?.start !== start) {
      bucket = { start, count: 0, sum: 0, max: -Infinity, samples: [] };
      list.push(bucket);
      while (list.length > 0 && (list[0]?.start ?? 0) <= now - this.retainMs) list.shift();
    }
    bucket.count++;
    bucket.sum += value;
    bucket.max = Math.max(bucket.max, value);
    if (bucket.samples.length < this.samplesPerBucket) bucket.samples.push(value);
    else {
      const slot = Math.floor(Math.random() * bucket.count);
      if (slot < this.samplesPerBucket) bucket.samples[slot] = value;
    }
    this.buckets.set(key, list);
  }

  /** Whether any value of the metric is still held (seen in the last fifteen minutes). */
  has(key: string): boolean {
    const last = this.buckets.get(key)?.at(-1);
    return last !== undefined && last.start > this.now() - this.retainMs;
  }

  /** The statistic over the period that ends at `endMs` (now by default). */
  statistic(key: string, stat: Statistic, periodMs: number, endMs = this.now()): number | null {
    const inPeriod = (this.buckets.get(key) ?? []).filter((b) => b.start <= endMs && b.start > endMs - periodMs);
    return combine(inPeriod, stat);
  }

  /**
   * The statistic over a period ending at each bucket boundary of the retained range, oldest first: a line that
   * moves every bucket while each point reads like the current value.
   */
  timeline(key: string, stat: Statistic, periodMs: number): (number | null)[] {
    const now = this.now();
    const last = now - (now % this.bucketMs);
    const points = Math.floor(this.retainMs / this.bucketMs);
    return Array.from({ length: points }, (_, i) =>
      this.statistic(key, stat, periodMs, last - (points - 1 - i) * this.bucketMs),
    );
  }
}

function combine(buckets: Bucket[], stat: Statistic): number | null {
  const count = buckets.reduce((total, b) => total + b.count, 0);
  if (stat === 'SampleCount') return count;
  if (stat === 'Sum') return buckets.reduce((total, b) => total + b.sum, 0);
  if (count === 0) return null;
  if (stat === 'Maximum') return Math.max(...buckets.map((b) => b.max));
  if (stat === 'Average') return buckets.reduce((total, b) => total + b.sum, 0) / count;
  const q = PERCENTILES[stat];
  return q === undefined
    ? null
    : percentile(
        buckets.flatMap((b) => b.samples),
        q,
      );
}
