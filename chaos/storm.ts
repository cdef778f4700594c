import { answered, balanceOf, entriesOf, progress, sumOfEntries, withSession, type Sent } from './session';
import type { ScenarioResult } from './report';
import { judgeStorm } from './tally';

/**
 * `storm`: a conflict storm and poison requests. One member holds `opening` points; `redemptions`
 * debits of 1 point are sent at once, with `poison` malformed requests among them (bad JSON, wrong
 * types, unknown fields, an idempotency key reused with another body). Exactly the affordable
 * number must succeed, the rest be refused `insufficient_points`, none answer 5xx, every poison
 * request get a 4xx problem, and the balance equal the opening less the successes and the sum of
 * the member's entries. A 409 or 5xx fails the run but the balance is still checked.
 */
export interface StormSettings {
  opening: number;
  redemptions: number;
  poison: number;
}

/** Requests that must be refused whole, with a 4xx problem: the body and a short name of what is wrong. */
const POISON: { name: string; body: string }[] = [
  { name: 'not JSON', body: '{"amountPoints": 1,' },
  { name: 'a string amount', body: '{"amountPoints":"1","reason":"chaos"}' },
  { name: 'a negative amount', body: '{"amountPoints":-1,"reason":"chaos"}' },
  { name: 'a fractional amount', body: '{"amountPoints":0.5,"reason":"chaos"}' },
  { name: 'an unknown field', body: '{"amountPoints":1,"reason":"chaos","balance":1000000}' },
  { name: 'a huge reason', body: JSON.stringify({ amountPoints: 1, reason: 'x'.repeat(300_000) }) },
  { name: 'a JSON array', body: '[{"amountPoints":1}]' },
];

export async function runStorm(settings: StormSettings): Promise<ScenarioResult> {
  return withSession({ members: 1 }, async (session) => {
    const { twin, headers } = session;
    const member = session.members[0]!;
    const run = Date.now();
    const funded = await session.earn(member, 'storm-opening', settings.opening);
    if (funded.status !== 201) throw new Error(`funding the member answered ${funded.status}`);
    const redeem = async (key: string, body: string): Promise<Sent> => {
      try {
        const response = await fetch(`${twin.apiUrl}/v1/members/${member}/points/redeem`, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': `storm-${run}-${key}` },
          body,
        });
        return await answered(response, member);
      } catch {
        return { status: 0, memberId: member };
      }
    };
    // The key a poison request reuses: first committed with 1 point, then sent again with 2.
    const reused = await redeem('reused', JSON.stringify({ amountPoints: 1, reason: 'chaos' }));
    const opening = settings.opening - (reused.status === 201 ? 1 : 0);

    const answers: Sent[] = [];
    const poisonAnswers: (Sent & { name: string })[] = [];
    const stop = progress('storm', () => `${answers.length + poisonAnswers.length} answered`);
    const start = Date.now();
    try {
      await Promise.all([
        ...Array.from({ length: settings.redemptions }, async (_, i) => {
          answers.push(await redeem(`r${i}`, JSON.stringify({ amountPoints: 1, reason: 'chaos' })));
        }),
        ...Array.from({ length: settings.poison }, async (_, i) => {
          const poison =
            i % (POISON.length + 1) === POISON.length
              ? { name: 'a reused key with another body', body: JSON.stringify({ amountPoints: 2, reason: 'chaos' }) }
              : POISON[i % (POISON.length + 1)]!;
          const key = poison.name === 'a reused key with another body' ? 'reused' : `p${i}`;
          poisonAnswers.push({ ...(await redeem(key, poison.body)), name: poison.name });
        }),
      ]);
    } finally {
      stop();
    }
    const stormMs = Date.now() - start;

    const balance = await balanceOf(session, member);
    const entriesSum = await sumOfEntries(session, member);
    // The reused key's first redemption committed before the storm: the rest are the storm's.
    const debits = (await entriesOf(session, member, 'redeem')).length - (reused.status === 201 ? 1 : 0);
    const verdict = judgeStorm({
      answers,
      opening,
      cost: 1,
      balance: balance,
      entriesSum,
      committed: debits,
    });
    const badPoison = poisonAnswers.filter(
      (a) => a.status < 400 || a.status >= 500 || !a.contentType?.includes('application/problem+json'),
    );
    const poisonHistogram: Record<string, number> = {};
    for (const a of poisonAnswers) {
      const key = `${a.name}: ${a.status}${a.code ? ` ${a.code}` : ''}`;
      poisonHistogram[key] = (poisonHistogram[key] ?? 0) + 1;
    }
    const failures = [
      ...verdict.failures,
      ...(badPoison.length ? [`${badPoison.length} poison requests not answered with a 4xx problem`] : []),
    ];
    const histogram = Object.entries(verdict.histogram)
      .map(([answer, count]) => `${answer} ×${count}`)
      .join(', ');
    return {
      figures: {
        storm_redemptions: settings.redemptions,
        storm_opening_points: opening,
        storm_succeeded: verdict.succeeded,
        storm_committed_unacknowledged: verdict.committedUnacknowledged,
        storm_insufficient_points: verdict.refused,
        storm_server_errors: verdict.serverErrors,
        storm_answers: verdict.histogram,
        storm_ms: stormMs,
        storm_balance: balance,
        storm_entries_sum: entriesSum,
        storm_poison: settings.poison,
        storm_poison_answers: poisonHistogram,
        storm_poison_not_4xx: badPoison.length,
      },
      lines: [
        `storm (${settings.redemptions} concurrent 1-point redemptions on ${opening} points, ` +
          `${settings.poison} poison requests beside them): answers ${histogram} in ${stormMs} ms; ` +
          `${verdict.succeeded} succeeded of ${Math.min(opening, settings.redemptions)} affordable; ` +
          `${debits} debits in the ledger (${verdict.committedUnacknowledged} of them answered no success); ` +
          `balance ${balance}, sum of entries ${entriesSum}`,
        `storm poison: ${Object.entries(poisonHistogram)
          .map(([answer, count]) => `${answer} ×${count}`)
          .join('; ')}`,
      ],
      failures,
    };
  });
}
