import { contractFetch, receivedHooks, twinApi, type ReceivedHook } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * The ledger's operations over HTTP on the running twin: programme, member lifecycle, earn,
 * redeem, adjust, reverse, history, balance as of a time, expiry by the scheduled job, and every
 * change arriving as a signed webhook in per-member seq order.
 */
const twin = useTwin(['--schedule-seconds', '1']);
const api = twinApi(twin);

/** Every endpoint's verified-or-not deliveries of one member's events. */
const received = async (memberId: string, endpoint?: string) =>
  (await receivedHooks(twin, endpoint)).filter(
    (h): h is ReceivedHook & { body: NonNullable<ReceivedHook['body']> } => h.body?.memberId === memberId,
  );

type Points = {
  entry: { entryId: string; amountPoints: number; lots: { expiresAt: string | null; points: number }[] };
  balance: { availablePoints: number };
};

describe('the ledger over the API on the local twin', () => {
  it('runs a member through the whole ledger and delivers every change in order', async () => {
    // Programme: optimistic concurrency through If-Match.
    const programme = await api<{ version: number }>('/v1/programme');
    const put = await api<{ version: number }>('/v1/programme', {
      method: 'PUT',
      body: {
        pointsExpiry: { afterDays: 365 },
        expiryNoticeDays: 30,
        holdDays: 0,
        earningRules: {
          currencies: [{ currency: 'EUR', pointsPerUnit: 1 }],
          multipliers: [{ name: 'spa double', when: { categories: ['spa'] }, multiplier: 2 }],
        },
      },
      headers: { 'if-match': `"${programme.body.version}"` },
    });
    expect(put).toMatchObject({ status: 200, body: { version: programme.body.version + 1 } });
    const stale = await api('/v1/programme', {
      method: 'PUT',
      body: {},
      headers: { 'if-match': `"${programme.body.version}"` },
    });
    expect(stale).toMatchObject({ status: 409, body: { code: 'programme_conflict' } });

    // Members: enrol, patch, list with a cursor.
    const externalId = `ledger-e2e-${Date.now()}`;
    const enrol = await api<{ memberId: string }>('/v1/members', {
      body: { externalId, email: 'lee@example.com', firstName: 'Lee' },
    });
    expect(enrol.status).toBe(201);
    const { memberId } = enrol.body;
    const other = await api<{ memberId: string }>('/v1/members', { body: { externalId: `${externalId}-2` } });
    const patched = await api(`/v1/members/${memberId}`, {
      method: 'PATCH',
      body: { email: 'lee@example.org', firstName: null, locale: 'en-GB' },
    });
    expect(patched).toMatchObject({ status: 200, body: { email: 'lee@example.org', locale: 'en-GB' } });
    expect(patched.body).not.toHaveProperty('firstName');
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api<{ items: { memberId: string }[]; nextCursor?: string }>(
        `/v1/members?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(1);
      seen.push(...page.body.items.map((m) => m.memberId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(expect.arrayContaining([memberId, other.body.memberId]));
    expect(new Set(seen).size).toBe(seen.length);
    expect((await api('/v1/members?cursor=not-a-cursor')).body).toMatchObject({ code: 'cursor_invalid' });

    // Points: a lot that expires in a minute, a normal one, a redemption soonest-expiring first.
    const soon = new Date(Date.now() + 60_000).toISOString();
    const short = await api<Points>(`/v1/members/${memberId}/points/earn`, {
      body: { amountPoints: 100, reason: 'flash promo', expiresAt: soon },
    });
    expect(short.status).toBe(201);
    const earn = await api<Points>(`/v1/members/${memberId}/points/earn`, {
      body: { amountPoints: 300, reason: 'stay', source: 'pms' },
    });
    expect(earn.body.entry.lots[0]!.expiresAt).toMatch(/T00:00:00.000Z$/);
    const beforeRedeem = new Date().toISOString();
    const redeem = await api<Points>(`/v1/members/${memberId}/points/redeem`, {
      body: { amountPoints: 150, reason: 'spa voucher' },
    });
    expect(redeem.body.entry.lots).toEqual([
      { expiresAt: soon, points: 100 },
      { expiresAt: earn.body.entry.lots[0]!.expiresAt, points: 50 },
    ]);
    expect(redeem.body.balance.availablePoints).toBe(250);
    expect(
      await api(`/v1/members/${memberId}/points/redeem`, { body: { amountPoints: 10_000, reason: 'too much' } }),
    ).toMatchObject({
      status: 422,
      body: { code: 'insufficient_points' },
    });

    // A business transaction: previewed (nothing recorded), posted by the rules, refused when posted again.
    const stay = {
      transactionId: `pms-${memberId}`,
      type: 'stay',
      amount: 40.5,
      currency: 'EUR',
      category: 'spa',
      channel: 'pms',
    };
    expect(await api(`/v1/members/${memberId}/transactions/preview`, { body: stay, idempotent: false })).toMatchObject({
      status: 200,
      body: { earning: { points: 81, basePoints: 40 } },
    });
    const posted = await api<Points & { earning: { points: number } }>(`/v1/members/${memberId}/transactions`, {
      body: stay,
    });
    expect(posted).toMatchObject({
      status: 201,
      body: { earning: { points: 81 }, entry: { transactionId: stay.transactionId, amountPoints: 81 } },
    });
    expect(await api(`/v1/members/${memberId}/transactions`, { body: stay })).toMatchObject({
      status: 409,
      body: { code: 'transaction_already_posted' },
    });
    await api(`/v1/members/${memberId}/entries/${posted.body.entry.entryId}/reverse`, {
      body: { reason: 'stay cancelled' },
    });

    // Adjust and a partial refund of the redemption: the 100 points come back with their original (near) expiry.
    expect(
      (
        await api<Points>(`/v1/members/${memberId}/points/adjust`, {
          body: { amountPoints: -20, reason: 'duplicate posting' },
        })
      ).body.balance.availablePoints,
    ).toBe(230);
    expect(await api(`/v1/members/${memberId}/points/adjust`, { body: { amountPoints: 5, reason: '' } })).toMatchObject(
      { status: 400 },
    );
    const refund = await api<Points>(`/v1/members/${memberId}/entries/${redeem.body.entry.entryId}/reverse`, {
      body: { amountPoints: 120, reason: 'voucher cancelled' },
    });
    expect(refund.status).toBe(201);
    expect(refund.body.entry.lots).toEqual([
      { expiresAt: earn.body.entry.lots[0]!.expiresAt, points: 50 },
      { expiresAt: soon, points: 70 },
    ]);
    expect(
      await api(`/v1/members/${memberId}/entries/${redeem.body.entry.entryId}/reverse`, {
        body: { amountPoints: 31, reason: 'too much' },
      }),
    ).toMatchObject({
      status: 422,
      body: { code: 'reversal_exceeds_entry' },
    });

    // History with a filter, and the balance as it stood before the redemption.
    const redemptions = await api<{ items: { type: string }[] }>(`/v1/members/${memberId}/entries?type=redeem,reverse`);
    expect(redemptions.body.items.map((e) => e.type)).toEqual(['reverse', 'reverse', 'redeem']);
    const asOf = await api(`/v1/members/${memberId}/balance?asOf=${beforeRedeem}`);
    expect(asOf.body).toMatchObject({ availablePoints: 400, asOf: beforeRedeem });

    // The scheduled job announces the short lot and, once the functions' clock is past it, expires it.
    await waitFor(
      async () => (await received(memberId)).some((hook) => hook.body.type === 'points.expiring_soon') || undefined,
      {
        timeoutMs: 20_000,
        what: 'the expiry notice of the short lot',
      },
    );
    await twin.advanceClock(61_000);
    await waitFor(
      async () =>
        (await api<{ availablePoints: number }>(`/v1/members/${memberId}/balance`)).body.availablePoints === 280 ||
        undefined,
      {
        timeoutMs: 20_000,
        what: 'the short lot to expire',
      },
    );
    const expiries = await api<{ items: { amountPoints: number }[] }>(`/v1/members/${memberId}/entries?type=expire`);
    expect(expiries.body.items.map((e) => e.amountPoints)).toEqual([-70]);

    // Offers: a targeted offer with a limit of one, seen and activated once, then no longer eligible.
    const offerId = `spa-${Date.now()}`;
    const offer = {
      name: 'Double points at the spa',
      startsAt: new Date(Date.now() - 60_000).toISOString(),
      endsAt: new Date(Date.now() + 86_400_000).toISOString(),
      segments: ['spa'],
      activationLimitPerMember: 1,
    };
    expect(await api(`/v1/offers/${offerId}`, { method: 'PUT', body: offer, idempotent: false })).toMatchObject({
      status: 200,
      body: { offerId },
    });
    const eligibleBefore = await api<{ items: { offerId: string }[] }>(`/v1/members/${memberId}/offers`);
    expect(eligibleBefore.body.items.map((o) => o.offerId)).not.toContain(offerId);
    await api(`/v1/members/${memberId}`, { method: 'PATCH', body: { segments: ['spa'] } });
    const eligible = await api<{ items: { offerId: string; remaining: number }[] }>(`/v1/members/${memberId}/offers`);
    expect(eligible.body.items.find((o) => o.offerId === offerId)).toMatchObject({ remaining: 1 });
    expect(await api(`/v1/members/${memberId}/offers/${offerId}/view`, { body: { channel: 'app' } })).toMatchObject({
      status: 201,
    });
    expect(await api(`/v1/members/${memberId}/offers/${offerId}/activate`, { body: {} })).toMatchObject({
      status: 201,
      body: { activationCount: 1, remaining: 0 },
    });
    expect(await api(`/v1/members/${memberId}/offers/${offerId}/activate`, { body: {} })).toMatchObject({
      status: 422,
      body: { code: 'offer_limit_reached' },
    });
    expect(await api(`/v1/members/${memberId}/offers/nope/activate`, { body: {} })).toMatchObject({
      status: 404,
      body: { code: 'offer_not_found' },
    });

    // Lifecycle: deactivate blocks earning, reactivate allows it, erasure removes personal data.
    await api(`/v1/members/${memberId}/deactivate`, { body: { reason: 'fraud check' } });
    expect(await api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 1, reason: 'x' } })).toMatchObject({
      status: 409,
      body: { code: 'member_inactive' },
    });
    await api(`/v1/members/${memberId}/reactivate`, { body: {} });
    const erased = await api(`/v1/members/${memberId}/erase`, { body: {} });
    expect(erased).toMatchObject({ status: 200, body: { status: 'erased', externalId: '' } });
    expect(JSON.stringify(erased.body)).not.toContain('lee@example');
    expect(await api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 1, reason: 'x' } })).toMatchObject({
      status: 410,
      body: { code: 'member_erased' },
    });
    expect((await api<{ availablePoints: number }>(`/v1/members/${memberId}/balance`)).body.availablePoints).toBe(0);

    // Every change arrived as a verified webhook, gap-free and in seq order. The notice comes once
    // per lot; the refund may re-create the short lot after its notice, which then gets its own.
    const expected = [
      'member.enrolled',
      'member.updated',
      'points.earned',
      'points.earned',
      'points.redeemed',
      'points.earned',
      'points.reversed',
      'points.adjusted',
      'points.reversed',
      'points.expired',
      'member.updated',
      'offer.viewed',
      'offer.activated',
      'member.deactivated',
      'member.reactivated',
      'member.erased',
    ];
    const lastSeq = (await api<{ seq: number }>(`/v1/members/${memberId}/balance`)).body.seq;
    await waitFor(async () => (await received(memberId)).length >= lastSeq || undefined, {
      timeoutMs: 20_000,
      what: 'all webhooks',
    });
    const deliveries = (await received(memberId)).sort((a, b) => a.body.seq - b.body.seq);
    expect(deliveries.every((d) => d.verified)).toBe(true);
    expect(deliveries.map((d) => d.body.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    const types = deliveries.map((d) => d.body.type);
    expect(types.filter((type) => type !== 'points.expiring_soon')).toEqual(expected);
    const notices = types.flatMap((type, i) => (type === 'points.expiring_soon' ? [i] : []));
    expect(notices.length).toBeGreaterThanOrEqual(1);
    expect(notices.length).toBeLessThanOrEqual(2);
    expect(notices.every((i) => i < types.indexOf('points.expired'))).toBe(true);
    expect(JSON.stringify(deliveries)).not.toContain('lee@example');
    // The transaction's earning carries the facts data teams join on, and the rules that gave the points.
    const earnedOnStay = deliveries.find((d) => d.body.data.transactionId === stay.transactionId);
    expect(earnedOnStay?.body).toMatchObject({
      type: 'points.earned',
      data: {
        amountPoints: 81,
        transaction: { type: 'stay', amount: 40.5, currency: 'EUR', category: 'spa', channel: 'pms' },
        rules: [
          { kind: 'base', pointsPerUnit: 1, eligibleAmount: 40.5, points: 40.5 },
          { kind: 'multiplier', name: 'spa double', multiplier: 2, points: 81 },
        ],
      },
    });
  }, 120_000);

  it('redeems rewards: voucher, manual, stock, codes, campaign budget, fulfilment, refunded cancellation', async () => {
    const run = Date.now().toString(36);
    const campaignId = `launch-${run}`;
    const spa = `spa-${run}`;
    const mug = `mug-${run}`;

    // Admin: a campaign with a budget, a voucher reward it funds, a manual reward with stock.
    expect(
      await api(`/v1/campaigns/${campaignId}`, { method: 'PUT', body: { name: 'Launch' }, idempotent: false }),
    ).toMatchObject({
      status: 200,
      body: { fundedPoints: 0, remainingPoints: 0 },
    });
    const fund = { amountPoints: 1000 };
    const fundKey = { 'idempotency-key': `fund-${run}` };
    const funded = await api(`/v1/campaigns/${campaignId}/funds`, { body: fund, headers: fundKey });
    expect(funded).toMatchObject({ status: 200, body: { creditedPoints: 1000 } });
    // The retry with the same key replays the first response as it was.
    const fundedAgain = await api(`/v1/campaigns/${campaignId}/funds`, { body: fund, headers: fundKey });
    expect(fundedAgain).toMatchObject({ status: 200 });
    expect(fundedAgain.body).toEqual(funded.body);
    expect(
      await api(`/v1/campaigns/${campaignId}/funds`, { body: { amountPoints: 5 }, headers: fundKey }),
    ).toMatchObject({ status: 409, body: { code: 'idempotency_key_reused' } });
    const voucher = {
      name: 'Spa voucher',
      pointsCost: 400,
      fulfilment: 'voucher',
      campaign: { campaignId, cost: 250 },
      value: { amount: 35, currency: 'EUR' },
      category: 'wellness',
    };
    expect(await api(`/v1/rewards/${spa}`, { method: 'PUT', body: voucher, idempotent: false })).toMatchObject({
      status: 200,
      body: { stockAvailable: 0, value: { amount: 35, currency: 'EUR' }, category: 'wellness' },
    });
    expect(
      await api(`/v1/rewards/${spa}/codes`, {
        body: { codes: ['SPA-0001', 'SPA-0002', 'SPA-0001'] },
        idempotent: false,
      }),
    ).toMatchObject({
      status: 200,
      body: { imported: 2, duplicates: 1, stockAvailable: 2 },
    });
    expect(await api(`/v1/rewards/${spa}/stock`, { body: { quantity: 5 } })).toMatchObject({
      status: 422,
      body: { code: 'stock_not_applicable' },
    });
    expect(
      await api(`/v1/rewards/${mug}`, {
        method: 'PUT',
        body: { name: 'Mug', pointsCost: 150, fulfilment: 'manual' },
        idempotent: false,
      }),
    ).toMatchObject({ status: 200 });
    expect(await api(`/v1/rewards/${mug}/stock`, { body: { quantity: 1 } })).toMatchObject({
      status: 200,
      body: { addedUnits: 1 },
    });
    expect(
      await api(`/v1/rewards/nope-${run}`, {
        method: 'PUT',
        body: { ...voucher, campaign: { campaignId: 'nope', cost: 1 } },
        idempotent: false,
      }),
    ).toMatchObject({
      status: 404,
      body: { code: 'campaign_not_found' },
    });
    const catalogue = await api<{ items: { rewardId: string; stockAvailable: number | null }[] }>('/v1/rewards');
    expect(catalogue.body.items.filter((r) => r.rewardId.endsWith(run))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rewardId: spa, stockAvailable: 2 }),
        expect.objectContaining({ rewardId: mug, stockAvailable: 1 }),
      ]),
    );

    // A member earns (part of it funded by the campaign) and redeems.
    const { memberId } = (await api<{ memberId: string }>('/v1/members', { body: { externalId: `rewards-${run}` } }))
      .body;
    expect(
      await api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 600, reason: 'stay' } }),
    ).toMatchObject({ status: 201 });
    expect(
      await api(`/v1/members/${memberId}/points/earn`, {
        body: { amountPoints: 300, reason: 'launch bonus', campaignId },
      }),
    ).toMatchObject({ status: 201 });
    expect(
      await api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 800, reason: 'too much', campaignId } }),
    ).toMatchObject({
      status: 422,
      body: { code: 'campaign_budget_exhausted' },
    });
    type Redeemed = {
      redemption: { redemptionId: string; status: string; voucherCode?: string };
      balance: { availablePoints: number };
    };
    const redeemed = await api<Redeemed>(`/v1/members/${memberId}/redemptions`, {
      body: { rewardId: spa, source: 'app' },
    });
    expect(redeemed).toMatchObject({
      status: 201,
      body: { redemption: { status: 'fulfilled', campaignId }, balance: { availablePoints: 500 } },
    });
    expect(['SPA-0001', 'SPA-0002']).toContain(redeemed.body.redemption.voucherCode);
    const mugged = await api<Redeemed>(`/v1/members/${memberId}/redemptions`, { body: { rewardId: mug } });
    expect(mugged).toMatchObject({
      status: 201,
      body: { redemption: { status: 'pending' }, balance: { availablePoints: 350 } },
    });
    expect(await api(`/v1/members/${memberId}/redemptions`, { body: { rewardId: mug } })).toMatchObject({
      status: 422,
      body: { code: 'reward_out_of_stock' },
    });
    expect(await api(`/v1/campaigns/${campaignId}`)).toMatchObject({
      status: 200,
      body: { fundedPoints: 1000, remainingPoints: 450, spentPoints: 550 },
    });

    // Fulfilment and cancellation.
    const mugId = mugged.body.redemption.redemptionId;
    const spaId = redeemed.body.redemption.redemptionId;
    expect(
      await api(`/v1/members/${memberId}/redemptions/${mugId}/fulfil`, { body: { reference: 'UPS-1' } }),
    ).toMatchObject({
      status: 200,
      body: { redemption: { status: 'fulfilled', reference: 'UPS-1' } },
    });
    const cancelled = await api<Redeemed>(`/v1/members/${memberId}/redemptions/${spaId}/cancel`, {
      body: { reason: 'booked by mistake' },
    });
    expect(cancelled).toMatchObject({
      status: 200,
      body: { redemption: { status: 'cancelled' }, balance: { availablePoints: 750 } },
    });
    expect(
      await api(`/v1/members/${memberId}/redemptions/${spaId}/cancel`, { body: { reason: 'again' } }),
    ).toMatchObject({ status: 422, body: { code: 'redemption_cancelled' } });
    expect(await api(`/v1/campaigns/${campaignId}`)).toMatchObject({ body: { remainingPoints: 700 } });
    expect(await api(`/v1/rewards/${spa}`)).toMatchObject({ body: { stockAvailable: 1 } });
    const list = await api<{ items: { redemptionId: string; status: string }[] }>(
      `/v1/members/${memberId}/redemptions`,
    );
    expect(list.body.items.map((r) => [r.redemptionId, r.status])).toEqual([
      [mugId, 'fulfilled'],
      [spaId, 'cancelled'],
    ]);
    expect(await api(`/v1/members/${memberId}/redemptions/${spaId}`)).toMatchObject({
      status: 200,
      body: { status: 'cancelled', cancelReason: 'booked by mistake' },
    });

    // Every change reaches the webhook receiver in seq order.
    const lastSeq = (await api<{ seq: number }>(`/v1/members/${memberId}/balance`)).body.seq;
    await waitFor(async () => (await received(memberId)).length >= lastSeq || undefined, {
      timeoutMs: 20_000,
      what: 'reward webhooks',
    });
    const deliveries = (await received(memberId)).sort((a, b) => a.body.seq - b.body.seq);
    const types = deliveries.map((d) => d.body.type);
    // Redemption events carry the cost, the reward's value and category, and how it is fulfilled.
    const spaFacts = { pointsCost: 400, rewardValue: { amount: 35, currency: 'EUR' }, rewardCategory: 'wellness' };
    const eventOf = (type: string, redemptionId: string) =>
      deliveries.find((d) => d.body.type === type && d.body.data.redemptionId === redemptionId)?.body.data;
    expect(eventOf('reward.redeemed', spaId)).toMatchObject({ ...spaFacts, fulfilment: 'voucher', campaignId });
    expect(eventOf('reward.cancelled', spaId)).toMatchObject({ ...spaFacts, fulfilment: 'voucher' });
    expect(eventOf('reward.fulfilled', mugId)).toMatchObject({ pointsCost: 150, fulfilment: 'manual' });
    expect(types).toEqual([
      'member.enrolled',
      'points.earned',
      'points.earned',
      'points.redeemed',
      'reward.redeemed',
      'points.redeemed',
      'reward.redeemed',
      'reward.fulfilled',
      'points.reversed',
      'reward.cancelled',
    ]);
  }, 120_000);

  it('manages an endpoint: thin payloads, secret rotation with overlap, disable, delete', async () => {
    const run = `ep${Date.now().toString(36)}`;
    const url = `${twin.receiverUrl}/hooks/${run}`;
    type Endpoint = {
      subscriptionId: string;
      secret?: string;
      payload: string;
      enabled: boolean;
      secretsRetireAt?: string;
    };
    const created = await api<Endpoint>('/v1/webhooks/endpoints', {
      body: { url, eventTypes: ['points.*'], payload: 'thin' },
      idempotent: false,
    });
    expect(created).toMatchObject({
      status: 201,
      body: { payload: 'thin', enabled: true, secret: expect.stringMatching(/^whsec_/) },
    });
    const { subscriptionId } = created.body;
    const setReceiverSecrets = (secrets: string[]) =>
      fetch(`${twin.receiverUrl}/hooks/${run}/secrets`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ secrets }),
      });
    await setReceiverSecrets([created.body.secret!]);
    expect(await api(`/v1/webhooks/endpoints/${subscriptionId}`)).toMatchObject({
      status: 200,
      body: { subscriptionId, payload: 'thin' },
    });
    expect((await api(`/v1/webhooks/endpoints/${subscriptionId}`)).body).not.toHaveProperty('secret');
    expect(
      await api('/v1/webhooks/endpoints', {
        body: { url: 'https://169.254.169.254/latest/meta-data' },
        idempotent: false,
      }),
    ).toMatchObject({
      status: 422,
      body: { code: 'webhook_url_rejected', reasonCode: 'address_not_allowed' },
    });

    // Rotation: the receiver still knows only the old secret, and every delivery verifies.
    const rotated = await api<Endpoint>(`/v1/webhooks/endpoints/${subscriptionId}/rotate-secret`, {
      body: { overlapHours: 1 },
      idempotent: false,
    });
    expect(rotated).toMatchObject({
      status: 200,
      body: { secret: expect.stringMatching(/^whsec_/), secretsRetireAt: expect.any(String) },
    });
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const { memberId } = (await api<{ memberId: string }>('/v1/members', { body: { externalId: `${run}-m` } })).body;
    await api(`/v1/members/${memberId}/points/earn`, {
      body: { amountPoints: 40, reason: 'stay', transactionId: 'folio-1' },
    });
    const hooks = () => received(memberId, run);
    await waitFor(async () => ((await hooks()).length >= 1 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'thin delivery',
    });
    const [thin] = await hooks();
    expect(thin!.verified).toBe(true);
    expect(thin!.body).toMatchObject({ type: 'points.earned', seq: 2 });
    expect(Object.keys(thin!.body.data).sort()).toEqual(['entryId', 'transactionId']);

    // The receiver switches to the new secret; disabled, the endpoint gets nothing; deleted, it is gone.
    await setReceiverSecrets([rotated.body.secret!]);
    await api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 5, reason: 'bar' } });
    await waitFor(async () => ((await hooks()).length >= 2 ? true : undefined), {
      timeoutMs: 20_000,
      what: 'delivery under the new secret',
    });
    expect((await hooks()).every((hook) => hook.verified)).toBe(true);
    expect(
      await api(`/v1/webhooks/endpoints/${subscriptionId}`, {
        method: 'PATCH',
        body: { enabled: false, payload: 'full', fields: ['amountPoints'] },
        idempotent: false,
      }),
    ).toMatchObject({
      status: 200,
      body: { enabled: false, payload: 'full', fields: ['amountPoints'] },
    });
    const deleted = await contractFetch(`${twin.apiUrl}/v1/webhooks/endpoints/${subscriptionId}`, {
      method: 'DELETE',
      headers: { 'x-api-key': twin.demo.apiKey },
    });
    expect(deleted.status).toBe(204);
    expect(await api(`/v1/webhooks/endpoints/${subscriptionId}`)).toMatchObject({
      status: 404,
      body: { code: 'endpoint_not_found' },
    });
  }, 120_000);
});
