import { randomBytes } from 'node:crypto';
import { runScript } from '../support/run-script';
import { tenantTable } from '../support/tenant-fixtures';
import { configureReceiver, contractFetch, keyedApi, receivedHooks, type ReceivedHook } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Platform maintenance notices on the twin, end to end: an operator schedules a window through the admin API, the
 * housekeeping run (every second here) writes the notices to each tenant's outbox, and the stream, the webhook
 * router and the delivery function bring them, signed and in order, to each tenant's endpoint subscribed to
 * `platform.maintenance.*`; the tenants' API and feed show them. A window cancelled before its notice sends
 * nothing; one cancelled after it sends `cancelled`.
 */
const twin = useTwin(['--schedule-seconds', '1']);
const run = randomBytes(3).toString('hex');
let operatorKey: string;
const tenants: { tenantId: string; apiKey: string; receiver: string }[] = [];

interface Answer {
  status: number;
  body: Record<string, unknown> & { code?: string; items?: Record<string, unknown>[] };
}

const api = keyedApi(twin);
/** A contract-checked call with a key (an Idempotency-Key on every write); the status and the parsed body. */
const call = (key: string, method: string, path: string, body?: unknown) =>
  api<Answer['body']>(key, method, path, body);

beforeAll(async () => {
  const table = tenantTable(twin);
  try {
    operatorKey = await table.issueOperatorKey();
    for (const name of ['a', 'b']) {
      const tenantId = `mnt-${name}-${run}`;
      tenants.push({ tenantId, apiKey: await table.issueKey(tenantId), receiver: `mnt-${name}-${run}` });
    }
  } finally {
    table.destroy();
  }
  // Each tenant's endpoint takes the maintenance notices only.
  for (const tenant of tenants) {
    const created = await call(tenant.apiKey, 'POST', '/v1/webhooks/endpoints', {
      url: `${twin.receiverUrl}/hooks/${tenant.receiver}`,
      eventTypes: ['platform.maintenance.*'],
    });
    expect(created.status).toBe(201);
    await configureReceiver(twin, tenant.receiver, { secrets: [created.body.secret as string] });
  }
}, 90_000);

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
const schedule = (body: Record<string, unknown>) =>
  call(operatorKey, 'POST', '/admin/maintenance-windows', { summary: 'Database upgrade', impact: 'degraded', ...body });

/** The notices of one window at a tenant's endpoint, as received. */
async function noticesOf(receiver: string, maintenanceId: string): Promise<ReceivedHook[]> {
  return (await receivedHooks(twin, receiver)).filter((hook) => hook.body?.data.maintenanceId === maintenanceId);
}

/** Waits until every tenant's endpoint accepted `types` of the window, then returns each one's notices. */
async function awaitNotices(maintenanceId: string, types: string[]): Promise<ReceivedHook[][]> {
  return Promise.all(
    tenants.map((tenant) =>
      waitFor(
        async () => {
          const hooks = await noticesOf(tenant.receiver, maintenanceId);
          const accepted = hooks.filter((hook) => hook.answered < 300);
          return accepted.length >= types.length ? hooks : undefined;
        },
        { timeoutMs: 60_000, what: `${types.join(', ')} of ${maintenanceId} at ${tenant.receiver}` },
      ),
    ),
  );
}

/** Prints what a tenant's endpoint got: type, the event's time and when it arrived. */
function show(tenantId: string, hooks: ReceivedHook[]) {
  const lines = hooks.map((hook) => {
    const { timestamp } = hook.body as unknown as { timestamp: string };
    const received = (hook as unknown as { receivedAt: string }).receivedAt;
    return `  ${hook.body!.type} ${timestamp} received ${received} verified=${hook.verified} id=${hook.webhookId}`;
  });
  console.log(`${tenantId}:\n${lines.join('\n')}`);
}

const tenantView = (apiKey: string) => call(apiKey, 'GET', '/v1/maintenance-windows');

describe('platform maintenance notices on the twin', () => {
  it('tells every tenant scheduled, started and completed, signed and in order, and shows the window', async () => {
    // Prepare: a window a few seconds ahead, inside its lead time, so its notice goes out at once.
    const scheduled = await schedule({ startsAt: inMs(12_000), endsAt: inMs(20_000), noticeLeadHours: 1 });
    expect(scheduled.status).toBe(201);
    const maintenanceId = scheduled.body.maintenanceId as string;
    expect(scheduled.body).toMatchObject({ status: 'scheduled', noticeLeadHours: 1, noticesSent: {} });

    // Act: the notices go out as time passes; nothing else is done.
    const received = await awaitNotices(maintenanceId, ['scheduled', 'started', 'completed']);

    // Assess: each tenant's endpoint got the three, once each, in order, signed with its secret.
    const expected = ['scheduled', 'started', 'completed'].map((phase) => `platform.maintenance.${phase}`);
    for (const [i, hooks] of received.entries()) {
      show(tenants[i]!.tenantId, hooks);
      expect(hooks.map((hook) => hook.body!.type)).toEqual(expected);
      expect(hooks.every((hook) => hook.verified && hook.answered === 204)).toBe(true);
      expect(new Set(hooks.map((hook) => hook.webhookId)).size).toBe(3);
      expect(hooks.map((hook) => hook.body!.data.status)).toEqual(['scheduled', 'in_progress', 'completed']);
      expect(hooks[0]!.body).toMatchObject({ tenantId: tenants[i]!.tenantId, data: { summary: 'Database upgrade' } });
    }
    // Each tenant got its own copy: no event id in common.
    const ids = received.map((hooks) => new Set(hooks.map((hook) => hook.webhookId)));
    expect([...ids[0]!].some((id) => ids[1]!.has(id))).toBe(false);

    // The tenants see the window, completed; the operator sees every notice sent; the feed carries them too.
    for (const tenant of tenants) {
      const view = await tenantView(tenant.apiKey);
      expect(view.status).toBe(200);
      expect(view.body.items).toContainEqual(expect.objectContaining({ maintenanceId, status: 'completed' }));
    }
    const adminView = await call(operatorKey, 'GET', `/admin/maintenance-windows/${maintenanceId}`);
    expect(Object.keys(adminView.body.noticesSent as object).sort()).toEqual(['completed', 'scheduled', 'started']);
    const feed = await waitFor(
      async () => {
        const page = await call(tenants[0]!.apiKey, 'GET', '/v1/events?type=platform.*&limit=50');
        const mine = (page.body.items ?? []).filter(
          (event) => (event.data as { maintenanceId?: string }).maintenanceId === maintenanceId,
        );
        return mine.length === 3 ? mine : undefined;
      },
      { timeoutMs: 30_000, what: 'the notices in the feed' },
    );
    expect(feed.map((event) => event.type)).toEqual(expected);

    // A started window can no longer be cancelled.
    const late = await call(operatorKey, 'POST', `/admin/maintenance-windows/${maintenanceId}/cancel`, {});
    expect(late).toMatchObject({ status: 409, body: { code: 'maintenance_window_started' } });
  }, 120_000);

  it('sends nothing for a window cancelled before its notice, and `cancelled` for an announced one', async () => {
    // Prepare: one window far ahead (its notice not due yet), one inside its lead time (announced at once).
    const quiet = await schedule({ startsAt: inMs(200 * 3_600_000), endsAt: inMs(201 * 3_600_000) });
    const told = await schedule({ startsAt: inMs(3_600_000), endsAt: inMs(2 * 3_600_000), impact: 'unavailable' });
    expect([quiet.status, told.status]).toEqual([201, 201]);
    const quietId = quiet.body.maintenanceId as string;
    const toldId = told.body.maintenanceId as string;
    await awaitNotices(toldId, ['scheduled']);

    // Act
    const cancelQuiet = await call(operatorKey, 'POST', `/admin/maintenance-windows/${quietId}/cancel`, {});
    const cancelTold = await call(operatorKey, 'POST', `/admin/maintenance-windows/${toldId}/cancel`, {});
    const received = await awaitNotices(toldId, ['scheduled', 'cancelled']);

    // Assess: the announced window's tenants got scheduled then cancelled; the quiet one was never sent.
    expect(cancelQuiet).toMatchObject({ status: 200, body: { status: 'cancelled', noticesSent: {} } });
    expect(cancelTold).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    for (const [i, hooks] of received.entries()) {
      show(tenants[i]!.tenantId, hooks);
      expect(hooks.map((hook) => hook.body!.type)).toEqual([
        'platform.maintenance.scheduled',
        'platform.maintenance.cancelled',
      ]);
      expect(hooks.every((hook) => hook.verified)).toBe(true);
      expect(await noticesOf(tenants[i]!.receiver, quietId)).toEqual([]);
    }
    const quietNow = await call(operatorKey, 'GET', `/admin/maintenance-windows/${quietId}`);
    expect(quietNow.body).toMatchObject({ noticesSent: {} });
    expect(quietNow.body.noticeSending).toBeUndefined();
    const view = await tenantView(tenants[1]!.apiKey);
    const listed = (view.body.items ?? []).map((item) => item.maintenanceId);
    expect(listed).toContain(toldId);
    expect(listed).not.toContain(quietId);
    expect(view.body.items).toContainEqual(expect.objectContaining({ maintenanceId: toldId, status: 'cancelled' }));

    // Cancelling again changes nothing.
    const again = await call(operatorKey, 'POST', `/admin/maintenance-windows/${toldId}/cancel`, {});
    expect(again.body.cancelledAt).toBe(cancelTold.body.cancelledAt);
  }, 120_000);

  it('refuses bad input with problem codes and keeps the admin routes to operators', async () => {
    // Act
    const backwards = await schedule({ startsAt: inMs(7_200_000), endsAt: inMs(3_600_000) });
    const past = await schedule({ startsAt: inMs(-60_000), endsAt: inMs(3_600_000) });
    const tooLong = await schedule({ startsAt: inMs(3_600_000), endsAt: inMs(60 * 3_600_000) });
    const badLead = await schedule({ startsAt: inMs(3_600_000), endsAt: inMs(7_200_000), noticeLeadHours: 0 });
    const unknown = await call(operatorKey, 'GET', '/admin/maintenance-windows/mnt_unknown');
    const asTenant = await call(tenants[0]!.apiKey, 'POST', '/admin/maintenance-windows', {
      summary: 'x',
      impact: 'none',
      startsAt: inMs(3_600_000),
      endsAt: inMs(7_200_000),
    });
    const list = await call(operatorKey, 'GET', '/admin/maintenance-windows?limit=2');

    // Assess
    expect(backwards).toMatchObject({ status: 400, body: { code: 'validation_failed', errors: [{ path: 'endsAt' }] } });
    expect(past).toMatchObject({ status: 400, body: { errors: [{ path: 'startsAt' }] } });
    expect(tooLong).toMatchObject({ status: 400, body: { errors: [{ path: 'endsAt' }] } });
    expect(badLead).toMatchObject({ status: 400, body: { code: 'validation_failed' } });
    expect(unknown).toMatchObject({ status: 404, body: { code: 'maintenance_window_not_found' } });
    expect(asTenant).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(2);
    expect(typeof list.body.nextCursor).toBe('string');
  });

  it('answers a retry (same Idempotency-Key) with the same window, refuses the key for another', async () => {
    // Prepare
    const key = `mnt-retry-${run}`;
    const body = { summary: 'Retried', impact: 'none', startsAt: inMs(300 * 3_600_000), endsAt: inMs(301 * 3_600_000) };
    const post = (payload: unknown) =>
      contractFetch(`${twin.apiUrl}/admin/maintenance-windows`, {
        method: 'POST',
        headers: { 'x-api-key': operatorKey, 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(payload),
      });

    // Act
    const first = await post(body);
    const retry = await post(body);
    const other = await post({ ...body, summary: 'Another window' });

    // Assess
    const [firstBody, retryBody] = (await Promise.all([first.json(), retry.json()])) as { maintenanceId: string }[];
    expect([first.status, retry.status]).toEqual([201, 201]);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retryBody!.maintenanceId).toBe(firstBody!.maintenanceId);
    expect(other.status).toBe(409);
    expect(((await other.json()) as { code: string }).code).toBe('idempotency_key_reused');
  });

  it('is run by operators through the admin CLI', async () => {
    // Prepare
    const admin = (args: string[]) =>
      runScript('scripts/admin/main.ts', args, { LOYALTY_API_URL: twin.apiUrl, LOYALTY_OPERATOR_KEY: operatorKey });

    // Act
    const scheduled = await admin([
      'maintenance',
      'schedule',
      '--summary',
      'Certificate rotation',
      '--impact',
      'none',
      '--starts',
      inMs(400 * 3_600_000),
      '--ends',
      inMs(401 * 3_600_000),
      '--lead-hours',
      '24',
    ]);
    const { idempotencyKey, window } = JSON.parse(scheduled.stdout) as {
      idempotencyKey: string;
      window: { maintenanceId: string; noticeLeadHours: number };
    };
    const cancelledRun = await admin(['maintenance', 'cancel', window.maintenanceId]);
    const usage = await admin(['maintenance', 'schedule', '--summary', 'x']);

    // Assess
    expect(scheduled.code).toBe(0);
    expect(idempotencyKey).toMatch(/^maintenance-/);
    expect(window.noticeLeadHours).toBe(24);
    expect(cancelledRun.code).toBe(0);
    expect(JSON.parse(cancelledRun.stdout)).toMatchObject({ maintenanceId: window.maintenanceId, status: 'cancelled' });
    expect(usage.code).toBe(2);
  });
});
