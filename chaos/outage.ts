import { sleep } from '../bench/harness';
import { describe, measure, prefixed, type ScenarioResult } from './report';
import { drain, postEarns, progress, withSession, type Sent } from './session';
import { tallyFailures } from './tally';

/**
 * `outage`: the receiver answers 503 to every delivery for longer than the breaker's open period
 * while earns flow, then recovers; every committed event must arrive, in order per member. The
 * endpoint's health is read through the API meanwhile, to show the breaker opened.
 */
export interface OutageSettings {
  events: number;
  members: number;
  concurrency: number;
  /** How long the endpoint is down, from the first earn. */
  downMs: number;
  /** The deployed (or overridden) breaker open period, to print beside it. */
  breakerOpenSeconds: number;
  stallMs: number;
}

export async function runOutage(settings: OutageSettings): Promise<ScenarioResult> {
  return withSession({ members: settings.members }, async (session) => {
    const { twin } = session;
    const sent: Sent[] = [];
    const current = () => measure(sent, session.deliveries);
    let phase = 'down';
    const stop = progress('outage', () => {
      const t = current();
      return `${phase}; sent ${t.sent}/${settings.events}, committed ${t.committed}, delivered ${t.delivered}`;
    });
    const start = Date.now();
    let breakerOpenedAt: number | undefined;
    try {
      twin.receiver.setFailure('demo', { status: 503 });
      const posting = postEarns(session, { ...settings, prefix: 'o' }, sent);
      while (Date.now() - start < settings.downMs) {
        const endpoint = await session.get(`/v1/webhooks/endpoints/${twin.demo.subscriptionId}`);
        const state = (endpoint.body as { health?: { state: string } }).health?.state ?? 'closed';
        if (breakerOpenedAt === undefined && state !== 'closed') breakerOpenedAt = Date.now();
        await sleep(500);
      }
      twin.receiver.setFailure('demo', null);
      const recoveredAt = Date.now();
      phase = 'recovered';
      await posting;
      const waitedMs = await drain(
        { missing: () => current().lost, delivered: () => current().delivered },
        { stallMs: settings.stallMs, capMs: 30 * 60_000 },
      );
      const t = current();
      const failedAttempts = session.deliveries.filter((d) => !d.accepted).length;
      const opened = breakerOpenedAt === undefined ? null : breakerOpenedAt - start;
      return {
        figures: {
          ...prefixed('outage', t),
          outage_down_ms: recoveredAt - start,
          outage_breaker_open_ms: opened,
          outage_recovered_to_delivered_ms: t.lost ? null : Date.now() - recoveredAt,
          outage_failed_attempts: failedAttempts,
        },
        lines: [
          `outage (every delivery answered 503 for ${recoveredAt - start} ms, breaker open period ` +
            `${settings.breakerOpenSeconds} s): ${describe(t)}; ` +
            `${opened === null ? 'the breaker never opened' : `breaker open at ${opened} ms`}, ` +
            `${failedAttempts} failed attempts; ` +
            (t.lost
              ? `gave up ${waitedMs} ms after recovery (none delivered for ${settings.stallMs} ms)`
              : `all delivered ${Date.now() - recoveredAt} ms after recovery`),
        ],
        failures: [
          ...tallyFailures(t),
          ...(t.committed < t.sent ? [`${t.sent - t.committed} earns not committed`] : []),
          ...(opened === null ? ['the breaker never opened'] : []),
        ],
      };
    } finally {
      stop();
      twin.receiver.setFailure('demo', null);
    }
  });
}
