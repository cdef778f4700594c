/**
 * How webhook delivery behaves when endpoints misbehave: the policy's settings, the retry schedule
 * and how long a message waits (the breaker and the drain are in `breaker.ts`). Pure functions, so
 * every rule is tested without queues or HTTP; the delivery service applies them.
 *
 * Waiting never drops anything: a message that must wait stays in flight on the FIFO queue with
 * its visibility extended (its member's later messages wait behind it), or, when its endpoint
 * already has its share waiting in flight, is parked in the table (see `parking.ts`); only
 * attempts count against the schedule.
 */

/** Retries after the first attempt, close to Svix's: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

/** SQS keeps a received message invisible for at most 12 hours. */
export const MAX_WAIT_SECONDS = 12 * 3600 - 60;

/** SQS moves a message to the DLQ on its own after 1000 receives; the worker acts just before, and logs why. */
export const RECEIVE_LIMIT = 990;
/** The delivery queue keeps messages 14 days; a message queued for 12 becomes a dead letter instead of expiring. */
export const QUEUE_AGE_LIMIT_MS = 12 * 86_400_000;

export interface DeliveryPolicy {
  /** Delay before retry n+1, in seconds; attempts = schedule.length + 1. */
  retrySchedule: number[];
  /** Each delay is spread by ± this fraction, so a recovered endpoint is not hit by a wave. */
  jitter: number;
  /** Consecutive failed attempts (any messages) that open the breaker. */
  breakerFailures: number;
  /** First open period; each failed probe doubles it, up to the maximum. */
  breakerOpenSeconds: number;
  breakerMaxOpenSeconds: number;
  /** An endpoint failing without a single success for this long is disabled. */
  disableAfterSeconds: number;
  /** After the breaker closes, the allowed rate climbs linearly from 1/s to the cap over this time. */
  drainRampSeconds: number;
  drainMaxPerSecond: number;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/**
 * `"5s,5m,30m,2h"` → `[5, 300, 1800, 7200]`. Every step must fit in one SQS visibility extension.
 * @example parseSchedule('1s,2s') // [1, 2]
 */
export function parseSchedule(text: string): number[] {
  const steps = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (steps.length === 0) throw new Error('A retry schedule needs at least one step');
  return steps.map((step) => {
    const [, count, unit] = /^(\d+)([smhd])$/.exec(step) ?? [];
    const unitSeconds = unit === undefined ? undefined : UNIT_SECONDS[unit];
    if (count === undefined || unitSeconds === undefined)
      throw new Error(`Retry step "${step}" is not a number followed by s, m, h or d`);
    const seconds = Number(count) * unitSeconds;
    if (seconds < 1 || seconds > MAX_WAIT_SECONDS)
      throw new Error(`Retry step "${step}" must be between 1 s and ${MAX_WAIT_SECONDS} s`);
    return seconds;
  });
}

/** A delay spread by ± `jitter`, at least 1 s (SQS visibility counts whole seconds). */
export function withJitter(seconds: number, jitter: number, random: () => number = Math.random): number {
  const spread = seconds * jitter * (2 * random() - 1);
  return Math.max(1, Math.min(MAX_WAIT_SECONDS, Math.round(seconds + spread)));
}

/**
 * After failed attempt number `attempts` (1-based, in the current round): the wait before the next
 * attempt, or `dead` when the schedule is spent. A `Retry-After` from a 429/503 is honoured when
 * longer than the schedule's step.
 */
export function nextRetry(
  policy: Pick<DeliveryPolicy, 'retrySchedule' | 'jitter'>,
  attempts: number,
  retryAfterSeconds?: number,
  random: () => number = Math.random,
): { kind: 'retry'; delaySeconds: number } | { kind: 'dead' } {
  const step = policy.retrySchedule[attempts - 1];
  if (step === undefined) return { kind: 'dead' };
  const delay = withJitter(step, policy.jitter, random);
  const asked =
    retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) ? Math.ceil(retryAfterSeconds) : 0;
  return { kind: 'retry', delaySeconds: Math.min(MAX_WAIT_SECONDS, Math.max(delay, asked)) };
}

/**
 * How long a message that may not be attempted yet waits before it is looked at again: the gate's
 * wait, spread a little so a backlog does not return all at once, and longer the more often this
 * message has already waited (each look counts as a receive on the queue, and receives are finite:
 * the floor grows with the square of the receive count).
 */
export function waitSeconds(base: number, receiveCount: number, random: () => number = Math.random): number {
  // Quadratic: reaching the 990-receive limit takes over nine days of waiting (Σ n²/400), longer
  // than an endpoint may fail before it is disabled.
  const floor = Math.ceil((receiveCount * receiveCount) / 400);
  return Math.min(MAX_WAIT_SECONDS, Math.max(base, floor) + Math.floor(random() * 3));
}

/**
 * A suspended tenant's message is looked at again after this long (or the growing floor of `waitSeconds`): delivery
 * resumes within about this after a short suspension. The floor grows with each look, so a held message reaches the
 * receive limit only after more than nine days of suspension.
 */
export const SUSPENDED_RECHECK_SECONDS = 10;

/** An endpoint may ask for a pause of at most an hour: a longer one would only park its messages on the queue. */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * `Retry-After` as seconds from now (delta-seconds or an HTTP date, at most an hour); undefined when absent or
 * unreadable.
 */
export function retryAfterSeconds(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const nowMs = now.getTime();
  const at = /^\d+$/.test(value.trim()) ? nowMs + Number(value.trim()) * 1000 : Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(0, Math.ceil((at - nowMs) / 1000)));
}
