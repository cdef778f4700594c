import { TokenBuckets } from './token-bucket';

/**
 * How a chunk's rows are applied: at most `concurrency` at once, one member's rows always one after another in file
 * order (a member's row, then its opening balance, then its history), different members side by side; each row
 * waits for a token of the job's bucket first, so the job keeps its rate whatever the concurrency.
 */

/** Waits for the next row's token: the job's rate as a token bucket (`token-bucket.ts`) one second deep. */
export class RowPacer {
  private readonly buckets = new TokenBuckets();

  constructor(
    private readonly rowsPerSecond: number,
    private readonly nowMs: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async take(): Promise<void> {
    const limits = { ratePerSecond: this.rowsPerSecond, burst: Math.max(1, this.rowsPerSecond) };
    for (;;) {
      const taken = this.buckets.take('job', limits, this.nowMs());
      if (taken.allowed) return;
      // A token comes every 1/rate seconds; the bucket answers in whole seconds, so wait for one token's time.
      await this.sleep(Math.min(taken.retryAfterSeconds * 1000, Math.ceil(1000 / this.rowsPerSecond)));
    }
  }
}

/** The key that orders a row: its `externalId` when it has one, else the row alone (its line). */
export function orderKeyOf(row: unknown, line: number): string {
  const externalId = (row as { externalId?: unknown } | null)?.externalId;
  return typeof externalId === 'string' && externalId !== '' ? `ext:${externalId}` : `line:${line}`;
}

/**
 * Runs `apply` over `items` with at most `concurrency` at once, items of one key in their order (a key's items run
 * one after another in one lane), keys in the order they first appear. Answers the results in the items' order; the
 * first failure is thrown once every lane has stopped (no lane starts another item after it).
 */
export async function applyInKeyOrder<T, R>(
  items: readonly T[],
  keyOf: (item: T) => string,
  concurrency: number,
  apply: (item: T) => Promise<R>,
): Promise<R[]> {
  const lanes = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    const lane = lanes.get(key);
    if (lane) lane.push(index);
    else lanes.set(key, [index]);
  });
  const queue = [...lanes.values()];
  const results = new Array<R>(items.length);
  const state: { failure?: { error: unknown } } = {};
  // A function, not the field: another lane may fail while this one awaits.
  const failed = () => state.failure !== undefined;
  const worker = async () => {
    for (let lane = queue.shift(); lane && !failed(); lane = queue.shift()) {
      for (const index of lane) {
        if (failed()) return;
        try {
          results[index] = await apply(items[index] as T);
        } catch (error) {
          state.failure ??= { error };
          return;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, queue.length)) }, worker));
  if (state.failure) throw state.failure.error;
  return results;
}

/**
 * Tries `attempt` until it succeeds or `attempts` tries have failed (the last failure is thrown), waiting
 * 200 ms, 400 ms, … (at most 5 s) between tries: a platform failure of one row, retried, never skipped.
 */
export async function withRetries<R>(
  attempt: () => Promise<R>,
  attempts: number,
  sleep: (ms: number) => Promise<void>,
): Promise<R> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= attempts) throw error;
      await sleep(Math.min(5_000, 200 * 2 ** (tried - 1)));
    }
  }
}
