import type { DeliveryPolicy } from './delivery-policy';

/**
 * The circuit breaker per endpoint and the throttled drain after it closes: pure functions of the
 * endpoint's health, the policy and the clock. The health store only persists what these decide
 * (counting a failure, opening, claiming the probe), with conditions that make concurrent
 * workers agree.
 */
/** An endpoint's health, shared by every delivery worker (one item per endpoint). */
export interface EndpointHealth {
  state: 'closed' | 'open' | 'halfOpen';
  consecutiveFailures: number;
  /** The first failure since the last success; absent while healthy. */
  failingSince?: string;
  /** open: no attempts until then. */
  openUntil?: string;
  /** How many times the breaker opened since the last success (the open period doubles). */
  openCount: number;
  /** halfOpen: one probe is in flight until then; a probe that never reports is replaced after it. */
  probeUntil?: string;
  /** When the breaker last closed: the drain ramp starts here. */
  closedAt?: string;
  /** A 429/503 asked for a pause: no attempts to the endpoint until then. */
  pauseUntil?: string;
  lastStatus?: number;
  lastError?: string;
  /** Dead letters the endpoint holds (counted as they are written, taken off by a redrive); see notices.ts. */
  deadLetters?: number;
}

export const HEALTHY: EndpointHealth = { state: 'closed', consecutiveFailures: 0, openCount: 0 };

export type Gate =
  | { kind: 'go'; ratePerSecond?: number }
  | { kind: 'probe' }
  | { kind: 'wait'; seconds: number; reason: 'breaker_open' | 'probe_in_flight' | 'paused' };

const secondsUntil = (iso: string, now: Date) => Math.max(1, Math.ceil((Date.parse(iso) - now.getTime()) / 1000));

/**
 * May a message be attempted now? `go` (optionally under a rate cap), `probe` (the breaker's open
 * period is over: this attempt decides), or `wait` (no attempt, nothing counted).
 */
export function gate(health: EndpointHealth, now: Date, policy: DeliveryPolicy, configuredRate?: number): Gate {
  const ahead = (iso: string | undefined): iso is string => iso !== undefined && Date.parse(iso) > now.getTime();
  if (ahead(health.pauseUntil))
    return { kind: 'wait', seconds: secondsUntil(health.pauseUntil, now), reason: 'paused' };
  if (health.state === 'open') {
    if (ahead(health.openUntil))
      return { kind: 'wait', seconds: secondsUntil(health.openUntil, now), reason: 'breaker_open' };
    return { kind: 'probe' };
  }
  if (health.state === 'halfOpen') {
    if (ahead(health.probeUntil))
      return { kind: 'wait', seconds: secondsUntil(health.probeUntil, now), reason: 'probe_in_flight' };
    return { kind: 'probe' };
  }
  const rate = drainRate(health, now, policy, configuredRate);
  return rate === undefined ? { kind: 'go' } : { kind: 'go', ratePerSecond: rate };
}

/**
 * The rate cap in force: the endpoint's configured limit, and while the backlog drains after the
 * breaker closed, a ramp from 1/s up to the drain cap (or the configured limit, if lower).
 * Undefined: no cap.
 */
export function drainRate(
  health: EndpointHealth,
  now: Date,
  policy: DeliveryPolicy,
  configuredRate?: number,
): number | undefined {
  let rate = configuredRate;
  if (health.closedAt) {
    const elapsed = (now.getTime() - Date.parse(health.closedAt)) / 1000;
    if (elapsed < policy.drainRampSeconds) {
      const cap = Math.min(configuredRate ?? Infinity, policy.drainMaxPerSecond);
      const ramp = Math.max(1, Math.floor((cap * Math.max(0, elapsed)) / policy.drainRampSeconds));
      rate = Math.min(cap, ramp);
    }
  }
  return rate;
}

/** The open period after the breaker opened `openCount` times before. */
export function openPeriodSeconds(policy: DeliveryPolicy, openCount: number): number {
  return Math.min(policy.breakerMaxOpenSeconds, policy.breakerOpenSeconds * 2 ** Math.min(openCount, 20));
}

/** Disabled for failing too long: no success since `failingSince`, for as long as the policy allows or longer. */
export function failingTooLong(health: EndpointHealth, now: Date, policy: DeliveryPolicy): boolean {
  return (
    health.failingSince !== undefined &&
    now.getTime() - Date.parse(health.failingSince) >= policy.disableAfterSeconds * 1000
  );
}

/**
 * After a failure was counted: whether the breaker opens now, and from which state. A failed
 * probe opens it again (from half-open, for a longer period); otherwise it opens when a closed
 * breaker reaches the threshold of consecutive failures.
 * @example breakerOpens(counted, { probe: false }, policy) // { from: 'closed', openSeconds: 30 } or null
 */
export function breakerOpens(
  counted: EndpointHealth,
  failure: { probe: boolean },
  policy: DeliveryPolicy,
): { from: 'closed' | 'halfOpen'; openSeconds: number } | null {
  const opens = failure.probe || (counted.state === 'closed' && counted.consecutiveFailures >= policy.breakerFailures);
  if (!opens) return null;
  return { from: failure.probe ? 'halfOpen' : 'closed', openSeconds: openPeriodSeconds(policy, counted.openCount) };
}

/**
 * Whether a delivered attempt has something to change in the endpoint's health: a probe closes the
 * breaker; any other success only clears the failure streak of a closed breaker (while it is open,
 * only the probe decides), so a healthy endpoint's success writes nothing.
 * @example successWrites(HEALTHY, { probe: false }) // => false
 */
export function successWrites(health: EndpointHealth, success: { probe: boolean }): boolean {
  const streak = health.consecutiveFailures > 0 || health.failingSince !== undefined;
  return success.probe || (health.state === 'closed' && streak);
}
