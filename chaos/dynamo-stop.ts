import { sleep } from '../bench/harness';
import { describe, measure, prefixed, type ScenarioResult } from './report';
import { balanceOf, drain, progress, steadyLoad, sumOfEntries, withSession, type Sent } from './session';
import { tallyFailures } from './tally';

/**
 * `dynamo-stop`: DynamoDB Local is stopped for `downMs` while earns flow, then started again on
 * its data. While it is down the API must answer a 5xx problem (`application/problem+json`) or a
 * 503 with `Retry-After`, never anything else. Afterwards every request that failed is sent again
 * with its idempotency key (it commits now, or replays what had committed), and each member's
 * balance must equal the number of distinct earns sent for it and the sum of its entries:
 * everything acknowledged survived, nothing was applied twice. Deliveries are tallied as usual.
 */
export interface DynamoStopSettings {
  /** Each member's earns are posted one after another, all members at once. */
  members: number;
  /** Load before the stop, and after the restart. */
  loadMs: number;
  downMs: number;
  stallMs: number;
}

interface Attempt extends Sent {
  key: string;
  at: number;
}

export async function runDynamoStop(settings: DynamoStopSettings): Promise<ScenarioResult> {
  return withSession({ members: settings.members, persistent: true }, async (session) => {
    const { twin, members } = session;
    const attempts: Attempt[] = [];
    let phase = 'load';
    const stop = progress('dynamo-stop', () => {
      const failed = attempts.filter((a) => a.status !== 201).length;
      return `${phase}; ${attempts.length} earns sent, ${failed} not committed`;
    });
    try {
      const load = steadyLoad(
        members,
        'd',
        async (memberId, key): Promise<Attempt> => ({ ...(await session.earn(memberId, key, 1)), key, at: Date.now() }),
        attempts,
      );
      const { keysOf } = load;
      await sleep(settings.loadMs);
      phase = 'DynamoDB stopped';
      const stoppedAt = Date.now();
      await twin.dynamodb.stop();
      await sleep(settings.downMs);
      phase = 'DynamoDB starting';
      await twin.dynamodb.restart();
      const restartedAt = Date.now();
      phase = 'load after restart';
      await sleep(settings.loadMs);
      await load.stop();

      const during = attempts.filter((a) => a.at >= stoppedAt && a.at <= restartedAt + 1_000);
      const wrongAnswers = attempts.filter((a) => a.status !== 201 && !acceptableFailure(a));
      const failedKeys = attempts.filter((a) => a.status !== 201);
      phase = 'sending the failed ones again';
      const replays: Attempt[] = [];
      for (const a of failedKeys) {
        const again = { ...(await session.earn(a.memberId, a.key, 1)), key: a.key, at: Date.now() };
        replays.push(again);
      }
      const replayFailures = replays.filter((r) => r.status !== 201 && r.status !== 200);

      phase = 'checking balances';
      const wrongBalances: string[] = [];
      for (const memberId of members) {
        const expected = keysOf.get(memberId)!.length;
        const balance = await balanceOf(session, memberId);
        const sum = await sumOfEntries(session, memberId);
        if (balance !== expected || sum !== expected)
          wrongBalances.push(`${memberId}: balance ${balance}, entries ${sum}, sent ${expected}`);
      }

      phase = 'waiting for deliveries';
      const committed: Sent[] = [...attempts.filter((a) => a.status === 201), ...replays.filter((r) => r.eventId)];
      const current = () => measure(dedupe(committed), session.deliveries);
      const waitedMs = await drain(
        { missing: () => current().lost, delivered: () => current().delivered },
        { stallMs: settings.stallMs, capMs: 15 * 60_000 },
      );
      const t = { ...current(), sent: attempts.length };
      const histogram: Record<string, number> = {};
      for (const a of during) {
        const key = `${a.status}${a.code ? ` ${a.code}` : ''}${a.retryAfter ? ' Retry-After' : ''}`;
        histogram[key] = (histogram[key] ?? 0) + 1;
      }
      return {
        figures: {
          ...prefixed('dynamo_stop', t),
          dynamo_stop_unavailable_ms: restartedAt - stoppedAt,
          dynamo_stop_answers_while_down: histogram,
          dynamo_stop_wrong_answers: wrongAnswers.length,
          dynamo_stop_retried: failedKeys.length,
          dynamo_stop_retries_failed: replayFailures.length,
          dynamo_stop_wrong_balances: wrongBalances.length,
        },
        lines: [
          `dynamo-stop (DynamoDB Local stopped ${settings.downMs} ms, back after ${restartedAt - stoppedAt} ms): ` +
            `answers while down ${Object.entries(histogram)
              .map(([answer, count]) => `${answer} ×${count}`)
              .join(', ')}; ${wrongAnswers.length} answers neither 201 nor a 5xx problem nor 503 Retry-After; ` +
            `${failedKeys.length} failed earns sent again (${replayFailures.length} still failing); ` +
            `${wrongBalances.length} wrong balances of ${members.length} members`,
          `dynamo-stop deliveries: ${describe(t)}` + (t.lost ? ` (gave up after ${waitedMs} ms)` : ''),
          ...wrongBalances.slice(0, 5).map((line) => `  wrong balance ${line}`),
          ...wrongAnswers
            .slice(0, 5)
            .map((a) => `  wrong answer ${a.status} ${a.contentType ?? 'no content-type'} ${a.code ?? ''}`),
        ],
        failures: [
          ...tallyFailures(t),
          ...(wrongAnswers.length ? [`${wrongAnswers.length} wrong answers`] : []),
          ...(replayFailures.length ? [`${replayFailures.length} earns still failing after recovery`] : []),
          ...(wrongBalances.length ? [`${wrongBalances.length} wrong balances`] : []),
        ],
      };
    } finally {
      stop();
    }
  });
}

/** While DynamoDB is down: a 5xx problem, or a 503 that says when to come back. */
function acceptableFailure(a: Sent): boolean {
  if (a.status === 503 && a.retryAfter) return true;
  return a.status >= 500 && a.status < 600 && (a.contentType ?? '').includes('application/problem+json');
}

/** One committed answer per event (a replay answers with the event it had committed). */
function dedupe(sent: Sent[]): Sent[] {
  const seen = new Set<string>();
  return sent.filter((s) => s.eventId && !seen.has(s.eventId) && seen.add(s.eventId));
}
