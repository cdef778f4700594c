/**
 * The functions' clock on the twin: real time plus an offset that only moves forward, so a test or
 * a demo lets points expire or holds end by advancing time instead of waiting for it. The offset
 * sits in shared memory that every function's worker reads on each Date call; the twin's own
 * stand-ins (queues, scheduler, receiver) keep real time, as AWS's services would.
 */
export class TwinClock {
  readonly buffer = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
  private readonly offset = new BigInt64Array(this.buffer);

  /** Moves the functions' time forward by `ms`; returns the offset from real time now in effect. */
  advance(ms: number): number {
    if (!Number.isSafeInteger(ms) || ms < 0)
      throw new Error(`The twin's clock moves forward only, by whole ms (got ${ms})`);
    return Number(Atomics.add(this.offset, 0, BigInt(ms))) + ms;
  }

  get offsetMs(): number {
    return Number(Atomics.load(this.offset, 0));
  }
}

/**
 * In a function's worker: `Date` (now, `new Date()`) reads real time plus the twin's offset.
 * Returns the real clock, for what the twin itself measures (the invocation's deadline).
 */
export function installTwinClock(buffer: SharedArrayBuffer): () => number {
  const offset = new BigInt64Array(buffer);
  const RealDate = Date;
  const realNow = () => RealDate.now();
  const now = () => realNow() + Number(Atomics.load(offset, 0));
  class TwinDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string]));
    }

    static override now(): number {
      return now();
    }
  }
  globalThis.Date = TwinDate as DateConstructor;
  return realNow;
}
