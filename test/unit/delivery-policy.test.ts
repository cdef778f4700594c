import fc from 'fast-check';
import {
  HEALTHY,
  drainRate,
  failingTooLong,
  gate,
  openPeriodSeconds,
  successWrites,
  type EndpointHealth,
} from '../../functions/domain/webhooks/breaker';
import {
  DEFAULT_RETRY_SCHEDULE,
  MAX_WAIT_SECONDS,
  nextRetry,
  parseSchedule,
  waitSeconds,
  withJitter,
  type DeliveryPolicy,
} from '../../functions/domain/webhooks/delivery-policy';

const t0 = new Date('2026-11-21T10:00:00.000Z');
const plusSeconds = (from: Date, seconds: number) => new Date(from.getTime() + seconds * 1000);
const isoIn = (seconds: number, from = t0) => plusSeconds(from, seconds).toISOString();
/** A deterministic `random`: always returns `value`. */
const fixed = (value: number) => () => value;

const policy: DeliveryPolicy = {
  retrySchedule: [5, 300, 1800],
  jitter: 0.1,
  breakerFailures: 5,
  breakerOpenSeconds: 60,
  breakerMaxOpenSeconds: 3600,
  disableAfterSeconds: 5 * 86_400,
  drainRampSeconds: 600,
  drainMaxPerSecond: 50,
};

const health = (overrides: Partial<EndpointHealth>): EndpointHealth => ({ ...HEALTHY, ...overrides });

describe('retry schedule', () => {
  it('parses the default schedule into seconds', () => {
    // Act
    const schedule = parseSchedule(DEFAULT_RETRY_SCHEDULE);

    // Assess
    expect(schedule).toEqual([5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
  });

  it('reads every unit, trims blanks around steps and accepts the longest step that fits', () => {
    // Act
    const schedule = parseSchedule(' 1s , 2m,3h ,11h,719m');

    // Assess: 719 min = 43 140 s = MAX_WAIT_SECONDS exactly
    expect(schedule).toEqual([1, 120, 10_800, 39_600, MAX_WAIT_SECONDS]);
    expect(MAX_WAIT_SECONDS).toBe(12 * 3600 - 60);
  });

  it.each([
    ['an empty schedule', '', /at least one step/],
    ['a schedule of blanks and commas', ' , ,', /at least one step/],
    ['an unknown unit', '5x', /not a number followed by/],
    ['a step without unit', '5', /not a number followed by/],
    ['a fractional step', '1.5h', /not a number followed by/],
    ['a negative step', '-5s', /not a number followed by/],
    ['an upper-case unit', '5S', /not a number followed by/],
    ['a zero step', '0s', /between 1 s and/],
    ['a step of 12 h (longer than one visibility extension)', '12h', /between 1 s and/],
    ['a step one second over the maximum', `${MAX_WAIT_SECONDS + 1}s`, /between 1 s and/],
    ['a day', '1d', /between 1 s and/],
    ['a bad step after good ones', '5s,5m,oops', /"oops"/],
  ])('rejects %s', (_, text, message) => {
    // Act
    const parse = () => parseSchedule(text);

    // Assess
    expect(parse).toThrow(message);
  });
});

describe('jitter', () => {
  it('spreads a delay by ± the jitter fraction, exact in the middle', () => {
    // Act & Assess
    expect(withJitter(100, 0.1, fixed(0))).toBe(90);
    expect(withJitter(100, 0.1, fixed(0.5))).toBe(100);
    expect(withJitter(100, 0.1, fixed(1))).toBe(110);
    expect(withJitter(100, 0.1, fixed(0.75))).toBe(105);
  });

  it('returns whole seconds', () => {
    // Act
    const delay = withJitter(7, 0.1, fixed(0.9));

    // Assess: 7 + 7·0.1·0.8 = 7.56 → 8
    expect(delay).toBe(8);
  });

  it('never goes below 1 s', () => {
    // Act & Assess
    expect(withJitter(1, 0.9, fixed(0))).toBe(1);
    expect(withJitter(1, 2, fixed(0))).toBe(1);
    expect(withJitter(0, 0.1, fixed(0.5))).toBe(1);
  });

  it('is capped at the longest SQS visibility extension', () => {
    // Act & Assess
    expect(withJitter(MAX_WAIT_SECONDS, 0.1, fixed(1))).toBe(MAX_WAIT_SECONDS);
    expect(withJitter(40_000, 0.5, fixed(0.99))).toBe(MAX_WAIT_SECONDS);
  });

  it('stays within [max(1, s·(1−j)), min(MAX, s·(1+j))] for any random in [0, 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_WAIT_SECONDS }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (seconds, jitter, r) => {
          const delay = withJitter(seconds, jitter, fixed(r));
          expect(Number.isInteger(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(Math.max(1, Math.floor(seconds * (1 - jitter))));
          expect(delay).toBeLessThanOrEqual(Math.min(MAX_WAIT_SECONDS, Math.ceil(seconds * (1 + jitter))));
        },
      ),
    );
  });
});

describe('next retry', () => {
  const noJitter = { retrySchedule: [5, 300, 1800], jitter: 0 };

  it('reads an unusable Retry-After as none, and a fractional one rounded up', () => {
    expect(nextRetry(policy, 1, Number.NaN, () => 0.5)).toEqual({
      kind: 'retry',
      delaySeconds: policy.retrySchedule[0],
    });
    expect(nextRetry(policy, 1, policy.retrySchedule[0]! + 0.5, () => 0.5)).toEqual({
      kind: 'retry',
      delaySeconds: policy.retrySchedule[0]! + 1,
    });
  });

  it('waits the first step after the first attempt and the last step after the last but one', () => {
    // Act & Assess
    expect(nextRetry(noJitter, 1, undefined, fixed(0.5))).toEqual({ kind: 'retry', delaySeconds: 5 });
    expect(nextRetry(noJitter, 2, undefined, fixed(0.5))).toEqual({ kind: 'retry', delaySeconds: 300 });
    expect(nextRetry(noJitter, 3, undefined, fixed(0.5))).toEqual({ kind: 'retry', delaySeconds: 1800 });
  });

  it('is dead once the schedule is spent (attempts = schedule length + 1)', () => {
    // Act & Assess
    expect(nextRetry(noJitter, 4, undefined, fixed(0.5))).toEqual({ kind: 'dead' });
    expect(nextRetry(noJitter, 50, 10, fixed(0.5))).toEqual({ kind: 'dead' });
  });

  it('applies the jitter to the step', () => {
    // Prepare
    const jittered = { retrySchedule: [300], jitter: 0.2 };

    // Act & Assess
    expect(nextRetry(jittered, 1, undefined, fixed(0))).toEqual({ kind: 'retry', delaySeconds: 240 });
    expect(nextRetry(jittered, 1, undefined, fixed(1))).toEqual({ kind: 'retry', delaySeconds: 360 });
  });

  it('honours a Retry-After longer than the step', () => {
    // Act
    const next = nextRetry(noJitter, 1, 120, fixed(0.5));

    // Assess
    expect(next).toEqual({ kind: 'retry', delaySeconds: 120 });
  });

  it('keeps the step when Retry-After is shorter', () => {
    // Act
    const next = nextRetry(noJitter, 2, 10, fixed(0.5));

    // Assess
    expect(next).toEqual({ kind: 'retry', delaySeconds: 300 });
  });

  it('caps a huge Retry-After at the longest visibility extension', () => {
    // Act
    const next = nextRetry(noJitter, 1, 7 * 86_400, fixed(0.5));

    // Assess
    expect(next).toEqual({ kind: 'retry', delaySeconds: MAX_WAIT_SECONDS });
  });

  it('follows the parsed default schedule: 7 retries, then dead', () => {
    // Prepare
    const defaults = { retrySchedule: parseSchedule(DEFAULT_RETRY_SCHEDULE), jitter: 0 };

    // Act
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => nextRetry(defaults, attempt, undefined, fixed(0.5)));

    // Assess
    expect(delays).toEqual([
      ...[5, 300, 1800, 7200, 18_000, 36_000, 36_000].map((delaySeconds) => ({ kind: 'retry', delaySeconds })),
      { kind: 'dead' },
    ]);
  });
});

describe('gate', () => {
  it('lets a healthy endpoint go without a rate cap', () => {
    // Act & Assess
    expect(gate(HEALTHY, t0, policy)).toEqual({ kind: 'go' });
  });

  it('lets a healthy endpoint go at its configured rate', () => {
    // Act & Assess
    expect(gate(HEALTHY, t0, policy, 7)).toEqual({ kind: 'go', ratePerSecond: 7 });
  });

  it('lets a closed endpoint with some failures below the threshold go', () => {
    // Prepare
    const failing = health({ consecutiveFailures: 3, failingSince: isoIn(-60) });

    // Act & Assess
    expect(gate(failing, t0, policy)).toEqual({ kind: 'go' });
  });

  it('waits while paused by a Retry-After, rounding the wait up to whole seconds', () => {
    // Act & Assess
    expect(gate(health({ pauseUntil: isoIn(30) }), t0, policy)).toEqual({
      kind: 'wait',
      seconds: 30,
      reason: 'paused',
    });
    expect(gate(health({ pauseUntil: isoIn(29.2) }), t0, policy)).toEqual({
      kind: 'wait',
      seconds: 30,
      reason: 'paused',
    });
    expect(gate(health({ pauseUntil: isoIn(0.001) }), t0, policy)).toEqual({
      kind: 'wait',
      seconds: 1,
      reason: 'paused',
    });
  });

  it('goes again once the pause is over (the pause ends at its instant)', () => {
    // Act & Assess
    expect(gate(health({ pauseUntil: isoIn(0) }), t0, policy)).toEqual({ kind: 'go' });
    expect(gate(health({ pauseUntil: isoIn(-5) }), t0, policy, 3)).toEqual({ kind: 'go', ratePerSecond: 3 });
  });

  it('a pause takes precedence over the breaker state', () => {
    // Prepare
    const openAndPaused = health({ state: 'open', openUntil: isoIn(-10), openCount: 1, pauseUntil: isoIn(20) });

    // Act & Assess
    expect(gate(openAndPaused, t0, policy)).toEqual({ kind: 'wait', seconds: 20, reason: 'paused' });
  });

  it('waits while the breaker is open', () => {
    // Prepare
    const open = health({ state: 'open', openUntil: isoIn(59.5), openCount: 1, consecutiveFailures: 5 });

    // Act & Assess
    expect(gate(open, t0, policy)).toEqual({ kind: 'wait', seconds: 60, reason: 'breaker_open' });
  });

  it('probes once the open period is over', () => {
    // Prepare
    const open = health({ state: 'open', openUntil: isoIn(-1), openCount: 1, consecutiveFailures: 5 });

    // Act & Assess
    expect(gate(open, t0, policy)).toEqual({ kind: 'probe' });
    expect(gate({ ...open, openUntil: t0.toISOString() }, t0, policy)).toEqual({ kind: 'probe' });
  });

  it('never sends an open endpoint traffic at a rate, even with a configured rate', () => {
    // Prepare
    const open = health({ state: 'open', openUntil: isoIn(-1), openCount: 1 });

    // Act & Assess
    expect(gate(open, t0, policy, 10)).toEqual({ kind: 'probe' });
  });

  it('waits while a probe is in flight', () => {
    // Prepare
    const halfOpen = health({ state: 'halfOpen', probeUntil: isoIn(15), openCount: 1 });

    // Act & Assess
    expect(gate(halfOpen, t0, policy)).toEqual({ kind: 'wait', seconds: 15, reason: 'probe_in_flight' });
  });

  it('replaces a probe that never reported once its time is up', () => {
    // Prepare
    const halfOpen = health({ state: 'halfOpen', probeUntil: isoIn(-1), openCount: 1 });

    // Act & Assess
    expect(gate(halfOpen, t0, policy)).toEqual({ kind: 'probe' });
    expect(gate(health({ state: 'halfOpen', openCount: 1 }), t0, policy)).toEqual({ kind: 'probe' });
  });

  it('throttles a freshly closed endpoint to the drain ramp', () => {
    // Prepare
    const closed = health({ closedAt: isoIn(-300) });

    // Act & Assess: half way through a 600 s ramp to 50/s
    expect(gate(closed, t0, policy)).toEqual({ kind: 'go', ratePerSecond: 25 });
  });

  it('never asks to wait less than 1 s, whatever the instants', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('paused' as const, 'open' as const, 'halfOpen' as const),
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
        (kind, offsetMs) => {
          const until = new Date(t0.getTime() + offsetMs).toISOString();
          const h =
            kind === 'paused'
              ? health({ pauseUntil: until })
              : kind === 'open'
                ? health({ state: 'open', openUntil: until, openCount: 1 })
                : health({ state: 'halfOpen', probeUntil: until, openCount: 1 });
          const decision = gate(h, t0, policy);
          if (offsetMs > 0) {
            expect(decision.kind).toBe('wait');
            if (decision.kind === 'wait') expect(decision.seconds).toBe(Math.max(1, Math.ceil(offsetMs / 1000)));
          } else {
            expect(decision.kind).not.toBe('wait');
          }
        },
      ),
    );
  });
});

describe('drain rate after the breaker closes', () => {
  it('never ramps above the drain cap, even for an endpoint configured faster', () => {
    expect(drainRate(health({ closedAt: isoIn(-300) }), t0, policy, 1000)).toBe(25);
  });

  it('starts at 1/s when the breaker has just closed', () => {
    // Act & Assess
    expect(drainRate(health({ closedAt: t0.toISOString() }), t0, policy)).toBe(1);
    expect(drainRate(health({ closedAt: isoIn(-1) }), t0, policy)).toBe(1);
  });

  it('starts at 1/s when closedAt is slightly in the future (clock skew between workers)', () => {
    // Act & Assess
    expect(drainRate(health({ closedAt: isoIn(5) }), t0, policy)).toBe(1);
  });

  it('climbs linearly to the drain cap over the ramp', () => {
    // Act
    const rates = [0, 60, 300, 540, 599].map((elapsed) => drainRate(health({ closedAt: isoIn(-elapsed) }), t0, policy));

    // Assess: floor(50 · elapsed / 600), at least 1
    expect(rates).toEqual([1, 5, 25, 45, 49]);
  });

  it('lifts the ramp once it is over: no cap without a configured rate, else the configured rate', () => {
    // Prepare
    const closed = health({ closedAt: isoIn(-600) });

    // Act & Assess
    expect(drainRate(closed, t0, policy)).toBeUndefined();
    expect(drainRate(closed, t0, policy, 200)).toBe(200);
    expect(drainRate(health({ closedAt: isoIn(-86_400) }), t0, policy, 8)).toBe(8);
  });

  it('never exceeds a configured rate below the drain cap while ramping', () => {
    // Act
    const rates = [0, 300, 599].map((elapsed) => drainRate(health({ closedAt: isoIn(-elapsed) }), t0, policy, 10));

    // Assess: the ramp climbs to the configured 10/s, not to 50/s
    expect(rates).toEqual([1, 5, 9]);
  });

  it('is the configured rate, or none, for an endpoint that never closed from open', () => {
    // Act & Assess
    expect(drainRate(HEALTHY, t0, policy)).toBeUndefined();
    expect(drainRate(HEALTHY, t0, policy, 4)).toBe(4);
  });

  it('never drops below 1/s nor exceeds the cap in force during the ramp', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: policy.drainRampSeconds * 1000 - 1 }),
        fc.option(fc.integer({ min: 1, max: 500 }), { nil: undefined }),
        (elapsedMs, configured) => {
          const rate = drainRate(
            health({ closedAt: new Date(t0.getTime() - elapsedMs).toISOString() }),
            t0,
            policy,
            configured,
          );
          expect(rate).toBeGreaterThanOrEqual(1);
          expect(rate).toBeLessThanOrEqual(configured ?? policy.drainMaxPerSecond);
          expect(Number.isInteger(rate)).toBe(true);
        },
      ),
    );
  });
});

describe('open period', () => {
  it('doubles with each opening since the last success', () => {
    // Act & Assess
    expect([0, 1, 2, 3, 4, 5].map((openCount) => openPeriodSeconds(policy, openCount))).toEqual([
      60, 120, 240, 480, 960, 1920,
    ]);
  });

  it('is capped at the maximum open period, however often it opened', () => {
    // Act & Assess
    expect(openPeriodSeconds(policy, 6)).toBe(3600);
    expect(openPeriodSeconds(policy, 20)).toBe(3600);
    expect(openPeriodSeconds(policy, 1000)).toBe(3600);
  });
});

describe('failing too long', () => {
  const since = '2026-11-16T10:00:00.000Z'; // exactly disableAfterSeconds (5 days) before t0

  it('is false for a healthy endpoint', () => {
    // Act & Assess
    expect(failingTooLong(HEALTHY, t0, policy)).toBe(false);
    expect(failingTooLong(health({ consecutiveFailures: 100, state: 'open', openCount: 9 }), t0, policy)).toBe(false);
  });

  it('is false just before the limit and true exactly at it', () => {
    // Prepare
    const failing = health({ failingSince: since, consecutiveFailures: 40 });

    // Act & Assess
    expect(failingTooLong(failing, new Date(t0.getTime() - 1), policy)).toBe(false);
    expect(failingTooLong(failing, t0, policy)).toBe(true);
    expect(failingTooLong(failing, plusSeconds(t0, 3600), policy)).toBe(true);
  });
});

describe('wait before a message is looked at again', () => {
  it('is the gate wait when the message has rarely waited, plus 0–2 s spread', () => {
    // Act & Assess
    expect(waitSeconds(30, 1, fixed(0))).toBe(30);
    expect(waitSeconds(30, 1, fixed(0.5))).toBe(31);
    expect(waitSeconds(30, 1, fixed(0.999))).toBe(32);
  });

  it('grows with the square of the receive count: at least ceil(receives² / 400) s', () => {
    // Act & Assess
    expect(waitSeconds(1, 20, fixed(0))).toBe(1);
    expect(waitSeconds(1, 21, fixed(0))).toBe(2);
    expect(waitSeconds(1, 200, fixed(0))).toBe(100);
    expect(waitSeconds(1, 201, fixed(0))).toBe(102);
    expect(waitSeconds(150, 200, fixed(0))).toBe(150);
  });

  it('keeps a message that only waits below the 990-receive limit for more than nine days', () => {
    // Act: the shortest possible waits (base 1 s, no spread) until the limit
    let waited = 0;
    for (let receives = 1; receives < 990; receives++) waited += waitSeconds(1, receives, fixed(0));

    // Assess
    expect(waited).toBeGreaterThan(9 * 86_400);
  });

  it('is capped at the longest visibility extension, spread included', () => {
    // Act & Assess
    expect(waitSeconds(MAX_WAIT_SECONDS, 1, fixed(0.999))).toBe(MAX_WAIT_SECONDS);
    expect(waitSeconds(86_400, 1, fixed(0))).toBe(MAX_WAIT_SECONDS);
    expect(waitSeconds(1, 10_000_000, fixed(0))).toBe(MAX_WAIT_SECONDS);
  });

  it('is a whole number of seconds in [max(base, floor), max(base, floor) + 2] for any random in [0, 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (base, receives, r) => {
          const wait = waitSeconds(base, receives, fixed(r));
          const low = Math.min(MAX_WAIT_SECONDS, Math.max(base, Math.ceil((receives * receives) / 400)));
          expect(Number.isInteger(wait)).toBe(true);
          expect(wait).toBeGreaterThanOrEqual(low);
          expect(wait).toBeLessThanOrEqual(Math.min(MAX_WAIT_SECONDS, low + 2));
        },
      ),
    );
  });
});

describe('a success writes the health', () => {
  it('for a probe, or to clear the streak of a closed breaker; never while the endpoint is healthy', () => {
    // Act & Assess
    expect(successWrites(HEALTHY, { probe: false })).toBe(false);
    expect(successWrites(health({ closedAt: t0.toISOString() }), { probe: false })).toBe(false);
    expect(successWrites(HEALTHY, { probe: true })).toBe(true);
    expect(successWrites(health({ consecutiveFailures: 1 }), { probe: false })).toBe(true);
    expect(successWrites(health({ failingSince: t0.toISOString() }), { probe: false })).toBe(true);
    expect(successWrites(health({ state: 'open', consecutiveFailures: 10 }), { probe: false })).toBe(false);
  });
});
