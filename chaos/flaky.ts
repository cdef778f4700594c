import { describe, measure, pct, prefixed, type ScenarioResult } from './report';
import { drain, postEarns, progress, withSession, type Sent } from './session';
import { tallyFailures } from './tally';

/**
 * `flaky`: the receiver answers 5 % of deliveries with 500 and holds 5 % unanswered past the
 * delivery timeout, at random, while `events` earns flow; every committed event must still
 * arrive, in order per member (a failed message holds its member's later ones back).
 */
export interface FlakySettings {
  events: number;
  members: number;
  concurrency: number;
  errorRate: number;
  timeoutRate: number;
  /** How long a timed-out delivery is held: past the delivery timeout the run sets. */
  hangMs: number;
  /** Once every earn is posted, the wait for the last deliveries ends when none came for this long. */
  stallMs: number;
}

export async function runFlaky(settings: FlakySettings): Promise<ScenarioResult> {
  return withSession({ members: settings.members }, async (session) => {
    const { errorRate, timeoutRate, hangMs } = settings;
    session.twin.receiver.setFlaky('demo', { errorRate, timeoutRate, hangMs });
    const sent: Sent[] = [];
    const current = () => measure(sent, session.deliveries);
    const stop = progress('flaky', () => {
      const t = current();
      return `sent ${t.sent}/${settings.events}, committed ${t.committed}, delivered ${t.delivered}, missing ${t.lost}`;
    });
    const start = Date.now();
    try {
      await postEarns(session, { events: settings.events, concurrency: settings.concurrency, prefix: 'f' }, sent);
      const postedMs = Date.now() - start;
      // Deliveries run behind the earns here: wait while they keep coming, whatever the total takes.
      await drain(
        { missing: () => current().lost, delivered: () => current().delivered },
        { stallMs: settings.stallMs, capMs: 60 * 60_000 },
      );
      const drainedMs = Date.now() - start;
      const t = current();
      const attempts = session.deliveries.length;
      const failedAttempts = session.deliveries.filter((d) => !d.accepted).length;
      const failures = [
        ...tallyFailures(t),
        ...(t.committed < t.sent ? [`${t.sent - t.committed} earns not committed`] : []),
      ];
      return {
        figures: { ...prefixed('flaky', t), flaky_attempts: attempts, flaky_failed_attempts: failedAttempts },
        lines: [
          `flaky (${pct(errorRate)} errors + ${pct(timeoutRate)} timeouts at random, held ${hangMs} ms): ` +
            `${describe(t)}; ${failedAttempts} failed of ${attempts} attempts; earns posted in ${postedMs} ms, ` +
            `all delivered by ${drainedMs} ms` +
            (t.lost ? ` (gave up: none delivered for ${settings.stallMs} ms)` : ''),
        ],
        failures,
      };
    } finally {
      stop();
      session.twin.receiver.setFlaky('demo', null);
    }
  });
}
