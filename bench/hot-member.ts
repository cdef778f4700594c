/**
 * The hot-member scenario: how fast one member's balance takes commits when many callers write it at
 * once, against the same member's requests sent one after another.
 * - serial: `serial` redemptions of 1 point, each sent when the one before has answered; the serial
 *   rate is commits over the time they took.
 * - contended: `concurrent` redemptions of 1 point sent at once against a member holding `points`.
 *   Exactly `points` must succeed, the rest are refused with `insufficient_points`; a 409 must carry
 *   `Retry-After` (its commit budget was spent) and a 5xx is a failure. `hot_member_commits_per_s` is
 *   the successes over the time from the first request to the last success.
 * The member's balance must then equal the sum of its ledger entries.
 */

export interface HotMemberSettings {
  /** Redemptions sent one after another for the serial rate. */
  serial: number;
  /** Redemptions sent at once against one member. */
  concurrent: number;
  /** The member's points before the concurrent redemptions. */
  points: number;
}

export interface HotMemberContext {
  apiUrl: string;
  /** The tenant's API key and content type. */
  headers: Record<string, string>;
}

interface Answer {
  status: number;
  code?: string;
  retryAfter: boolean;
  at: number;
}

export async function runHotMember(context: HotMemberContext, settings: HotMemberSettings) {
  const run = `hot-${Date.now()}`;
  const post = async (path: string, key: string, body: unknown): Promise<Answer> => {
    const response = await fetch(`${context.apiUrl}${path}`, {
      method: 'POST',
      headers: { ...context.headers, 'idempotency-key': `${run}-${key}` },
      body: JSON.stringify(body),
    });
    const answer = (await response.json().catch(() => ({}))) as { code?: string; memberId?: string };
    return {
      status: response.status,
      ...(answer.code ? { code: answer.code } : {}),
      retryAfter: response.headers.has('retry-after'),
      at: performance.now(),
    };
  };
  const enrol = async (name: string, points: number) => {
    const response = await fetch(`${context.apiUrl}/v1/members`, {
      method: 'POST',
      headers: { ...context.headers, 'idempotency-key': `${run}-${name}` },
      body: JSON.stringify({ externalId: `${run}-${name}` }),
    });
    const { memberId } = (await response.json()) as { memberId: string };
    const earned = await post(`/v1/members/${memberId}/points/earn`, `${name}-fund`, {
      amountPoints: points,
      reason: 'bench',
    });
    if (earned.status !== 201) throw new Error(`funding ${name} answered ${earned.status}`);
    return memberId;
  };
  const redeem = (memberId: string, key: string) =>
    post(`/v1/members/${memberId}/points/redeem`, key, { amountPoints: 1, reason: 'bench' });

  // Serial: one caller, one request at a time, on a member of its own.
  const serialMember = await enrol('serial', settings.serial);
  const serialStart = performance.now();
  let serialCommits = 0;
  for (let i = 0; i < settings.serial; i++) {
    if ((await redeem(serialMember, `s${i}`)).status === 201) serialCommits++;
  }
  const serialPerS = serialCommits / ((performance.now() - serialStart) / 1000);

  // Contended: every request at once.
  const hotMember = await enrol('contended', settings.points);
  const start = performance.now();
  const answers = await Promise.all(
    Array.from({ length: settings.concurrent }, (_, i) =>
      redeem(hotMember, `c${i}`).catch((): Answer => ({ status: 0, retryAfter: false, at: performance.now() })),
    ),
  );
  const elapsedMs = performance.now() - start;
  const succeeded = answers.filter((a) => a.status === 201);
  const lastSuccessMs = Math.max(0, ...succeeded.map((a) => a.at - start));
  const commitsPerS = lastSuccessMs > 0 ? succeeded.length / (lastSuccessMs / 1000) : 0;
  const conflicts = answers.filter((a) => a.status === 409);
  const consistency = await balanceAgainstEntries(context, hotMember);

  const figures = {
    hot_member_requests: settings.concurrent,
    hot_member_points: settings.points,
    hot_member_successes: succeeded.length,
    hot_member_insufficient_points: answers.filter((a) => a.code === 'insufficient_points').length,
    hot_member_409: conflicts.length,
    hot_member_409_without_retry_after: conflicts.filter((a) => !a.retryAfter).length,
    hot_member_5xx: answers.filter((a) => a.status >= 500).length,
    hot_member_other: answers.filter((a) => ![201, 409, 422].includes(a.status) && a.status < 500).length,
    hot_member_elapsed_ms: Math.round(elapsedMs),
    hot_member_serial_per_s: Number(serialPerS.toFixed(1)),
    hot_member_commits_per_s: Number(commitsPerS.toFixed(1)),
    hot_member_vs_serial_ratio: Number((commitsPerS / serialPerS).toFixed(2)),
    hot_member_balance: consistency.balance,
    hot_member_entries_sum: consistency.entriesSum,
  };
  const lines = [
    `hot member serial      ${figures.hot_member_serial_per_s}/s  (${settings.serial} redemptions one after another)`,
    `hot member contended   ${figures.hot_member_commits_per_s}/s  (${settings.concurrent} at once on ` +
      `${settings.points} points: ${figures.hot_member_successes} ok, ${figures.hot_member_insufficient_points} ` +
      `insufficient_points, ${figures.hot_member_409} 409 (${figures.hot_member_409_without_retry_after} without ` +
      `Retry-After), ${figures.hot_member_5xx} 5xx, ${figures.hot_member_other} other, ` +
      `in ${figures.hot_member_elapsed_ms} ms)`,
    `hot member / serial    ${figures.hot_member_vs_serial_ratio}  (balance ${consistency.balance}, ` +
      `sum of entries ${consistency.entriesSum}${consistency.balance === consistency.entriesSum ? '' : ' MISMATCH'})`,
  ];
  return { figures, lines };
}

/** The member's available points and the sum of its entries' changes, read back through the API. */
async function balanceAgainstEntries(context: HotMemberContext, memberId: string) {
  const member = `${context.apiUrl}/v1/members/${memberId}`;
  const balance = (await (await fetch(`${member}/balance`, { headers: context.headers })).json()) as {
    availablePoints: number;
  };
  let entriesSum = 0;
  let cursor: string | undefined;
  do {
    const query = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = (await (await fetch(`${member}/entries?${query}`, { headers: context.headers })).json()) as {
      items: { amountPoints: number }[];
      nextCursor?: string;
    };
    entriesSum += page.items.reduce((sum, entry) => sum + entry.amountPoints, 0);
    cursor = page.nextCursor;
  } while (cursor);
  return { balance: balance.availablePoints, entriesSum };
}
