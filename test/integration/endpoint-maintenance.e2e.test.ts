import { configureReceiver, receivedHooks, twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * An integrator's maintenance window on the local twin: the tenant declares a window for its endpoint starting
 * now; a member earns three times during it. Nothing reaches the endpoint while the window lasts (the delivery
 * function holds each message on the queue, no attempt made); when it ends, all three arrive in the member's order,
 * each at its first attempt (the window spent no retry), and the endpoint's breaker never moved.
 */
const WINDOW_SECONDS = 15;
const twin = useTwin(['--log-level', 'INFO']);

const HELD_LINE = 'Endpoint in a maintenance window; delivery held';

describe('an endpoint maintenance window on the local twin', () => {
  it('holds deliveries during the window and drains them in order at attempt 1 afterwards', async () => {
    // Prepare: an endpoint for points events, and a member.
    const api = twinApi(twin);
    const created = await api<{ subscriptionId: string; secret: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/maint`, eventTypes: ['points.*'] },
      idempotent: false,
    });
    expect(created.status).toBe(201);
    const { subscriptionId } = created.body;
    await configureReceiver(twin, 'maint', { secrets: [created.body.secret] });
    const enrol = await api<{ memberId: string }>('/v1/members', { body: { externalId: `maint-${Date.now()}` } });
    expect(enrol.status).toBe(201);
    const { memberId } = enrol.body;
    const timeline: string[] = [];
    const note = (what: string) => timeline.push(`${new Date().toISOString()}  ${what}`);

    // Act: a window from now, then three earnings during it.
    const startsAt = new Date();
    const endsAt = new Date(startsAt.getTime() + WINDOW_SECONDS * 1000);
    const window = await api<{ windowId: string; status: string }>(
      `/v1/webhooks/endpoints/${subscriptionId}/maintenance-windows`,
      { body: { startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), reason: 'HRMS maintenance night' } },
    );
    expect(window.status).toBe(201);
    expect(window.body.status).toBe('active');
    note(`window ${window.body.windowId} declared: ${startsAt.toISOString()} → ${endsAt.toISOString()}`);
    for (const amountPoints of [10, 20, 30]) {
      const earned = await api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints, reason: 'stay' } });
      expect(earned.status).toBe(201);
      note(`earned ${amountPoints} points`);
    }

    // Assess: the delivery function held the member's first message (its later ones queue behind it, in its group).
    await waitFor(
      // Log records are printed as indented JSON: the endpoint's id follows the message within its record.
      () =>
        Promise.resolve(
          twin
            .output()
            .split(HELD_LINE)
            .slice(1)
            .some((record) => record.slice(0, 1500).includes(subscriptionId)) || undefined,
        ),
      { timeoutMs: 30_000, what: 'the delivery function holding a message for the window' },
    );
    const heldSeenAt = new Date();
    const duringWindow = await receivedHooks(twin, 'maint');
    note(`delivery held (log: "${HELD_LINE}"); received so far: ${duringWindow.length}`);
    expect(heldSeenAt.getTime()).toBeLessThan(endsAt.getTime());
    expect(duringWindow).toHaveLength(0);

    // Assess: after the window, all three arrive in seq order, none early.
    const hooks = await waitFor(
      async () => {
        const got = await receivedHooks(twin, 'maint');
        return got.length >= 3 ? got : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the held deliveries after the window' },
    );
    for (const hook of hooks) {
      const at = (hook as typeof hook & { receivedAt: string }).receivedAt;
      note(
        `received at ${at}: ${hook.body?.type} seq ${hook.body?.seq} (${hook.webhookId}), answered ${hook.answered}`,
      );
      expect(Date.parse(at)).toBeGreaterThanOrEqual(endsAt.getTime());
    }
    expect(hooks.map((h) => h.body?.memberId)).toEqual([memberId, memberId, memberId]);
    const seqs = hooks.map((h) => h.body!.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(hooks.every((h) => h.verified && h.answered === 204)).toBe(true);

    // Assess: each message took one attempt, and the endpoint's health is untouched.
    const messages = await api<{ items: { eventId: string; attempts: number; status: string }[] }>(
      `/v1/webhooks/endpoints/${subscriptionId}/messages`,
    );
    expect(messages.body.items).toHaveLength(3);
    expect(messages.body.items.map((m) => [m.status, m.attempts])).toEqual([
      ['delivered', 1],
      ['delivered', 1],
      ['delivered', 1],
    ]);
    const endpoint = await api<{ health: { state: string; consecutiveFailures: number } }>(
      `/v1/webhooks/endpoints/${subscriptionId}`,
    );
    expect(endpoint.body.health).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
    const listed = await api<{ items: { windowId: string; status: string }[] }>(
      `/v1/webhooks/endpoints/${subscriptionId}/maintenance-windows`,
    );
    expect(listed.body.items).toEqual([expect.objectContaining({ windowId: window.body.windowId, status: 'ended' })]);
    note(`messages: ${messages.body.items.map((m) => `${m.eventId} ${m.status} attempts=${m.attempts}`).join(', ')}`);
    note(`endpoint health: ${JSON.stringify(endpoint.body.health)}`);
    console.log(`endpoint maintenance window timeline:\n${timeline.join('\n')}`);
  }, 120_000);

  it('refuses a window longer than 48 h, overlapping another, or for an unknown endpoint', async () => {
    // Prepare
    const api = twinApi(twin);
    const created = await api<{ subscriptionId: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/maint-rules`, eventTypes: ['points.*'] },
      idempotent: false,
    });
    const path = `/v1/webhooks/endpoints/${created.body.subscriptionId}/maintenance-windows`;
    const day = 86_400_000;
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();

    // Act
    const tooLong = await api<{ code: string }>(path, { body: { startsAt: at(day), endsAt: at(day * 3 + 1000) } });
    const first = await api<{ windowId: string }>(path, { body: { startsAt: at(day), endsAt: at(day + 3_600_000) } });
    const clash = await api<{ code: string }>(path, { body: { startsAt: at(day + 7_200_000), endsAt: at(day * 1.5) } });
    const unknown = await api<{ code: string }>('/v1/webhooks/endpoints/sub_nope/maintenance-windows', {
      body: { startsAt: at(day), endsAt: at(day + 1000) },
    });
    const removed = await api(`${path}/${first.body.windowId}`, { method: 'DELETE', idempotent: false });
    const again = await api(`${path}/${first.body.windowId}`, { method: 'DELETE', idempotent: false });
    const listed = await api<{ items: unknown[] }>(path);

    // Assess
    expect([tooLong.status, tooLong.body.code]).toEqual([400, 'validation_failed']);
    expect(first.status).toBe(201);
    expect([clash.status, clash.body.code]).toEqual([400, 'validation_failed']);
    expect([unknown.status, unknown.body.code]).toEqual([404, 'endpoint_not_found']);
    expect(removed.status).toBe(204);
    expect(again.status).toBe(404);
    expect(listed.body.items).toEqual([]);
  }, 60_000);
});
