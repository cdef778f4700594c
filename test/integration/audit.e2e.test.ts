import { randomBytes } from 'node:crypto';
import { keyIdOf } from '../../functions/domain/api-keys';
import { lakeRecords } from '../../local/lake-files';
import { tenantTable } from '../support/tenant-fixtures';
import { configureReceiver, receivedHooks, twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * The audit trail on the twin: admin and security actions through the API become `audit.*` events
 * with the acting key, listed by `GET /v1/audit-events` for the tenant alone, landing in the lake and
 * reaching an endpoint subscribed to `audit.*`.
 */
const twin = useTwin(['--lake-buffer-seconds', '1']);

interface AuditItem {
  id: string;
  type: string;
  tenantId: string;
  actor: { kind: string; credentialId: string };
  data: { subject: { type: string; id: string } } & Record<string, unknown>;
  memberId?: string;
}

describe('the audit trail', () => {
  it('lists a tenant’s own admin actions with the acting key, in the lake and to audit.* webhooks', async () => {
    // Prepare: two tenants with a key each; the first subscribes an endpoint to audit events.
    const suffix = randomBytes(4).toString('hex');
    const [tenantA, tenantB] = [`audit-a-${suffix}`, `audit-b-${suffix}`];
    const tenants = tenantTable(twin);
    const [keyA, keyB] = [await tenants.issueKey(tenantA), await tenants.issueKey(tenantB)];
    tenants.destroy();
    // The key's id is part of its secret.
    const keyIdA = keyIdOf(keyA);
    const apiA = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: keyA } });
    const apiB = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: keyB } });
    const receiver = `audit-${suffix}`;
    const endpoint = await apiA<{ subscriptionId: string; secret: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/${receiver}`, eventTypes: ['audit.*'] },
      idempotent: false,
    });
    expect(endpoint.status).toBe(201);
    const { subscriptionId } = endpoint.body;
    await configureReceiver(twin, receiver, { secrets: [endpoint.body.secret] });

    // Act: rotate the endpoint's secret, put the programme, adjust points (and retry the adjustment).
    const rotated = await apiA<{ secret: string }>(`/v1/webhooks/endpoints/${subscriptionId}/rotate-secret`, {
      body: { overlapHours: 1 },
      idempotent: false,
    });
    expect(rotated.status).toBe(200);
    const programme = await apiA<{ settings: Record<string, unknown>; version: number }>('/v1/programme');
    const put = await apiA('/v1/programme', {
      method: 'PUT',
      body: { ...programme.body.settings, expiryNoticeDays: 14 },
      idempotent: false,
    });
    expect(put.status).toBe(200);
    const enrolled = await apiA<{ memberId: string }>('/v1/members', { body: { externalId: `ext-${suffix}` } });
    const { memberId } = enrolled.body;
    await apiA(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 100, reason: 'stay' } });
    const adjust = { amountPoints: -10, reason: 'correction' };
    const key = { 'idempotency-key': `adjust-${suffix}` };
    const adjusted = await apiA<{ entry: { entryId: string } }>(`/v1/members/${memberId}/points/adjust`, {
      body: adjust,
      headers: key,
    });
    expect(adjusted.status).toBe(201);
    const retried = await apiA(`/v1/members/${memberId}/points/adjust`, { body: adjust, headers: key });
    expect(retried.status).toBe(201);

    // Assess: the tenant's trail, newest first, names the acting key and the subjects, ids only.
    const trail = await apiA<{ items: AuditItem[]; nextCursor?: string }>('/v1/audit-events?limit=50');
    expect(trail.status).toBe(200);
    const types = trail.body.items.map((item) => item.type);
    expect(types).toEqual([
      'audit.points.adjusted',
      'audit.programme.updated',
      'audit.webhook_endpoint.secret_rotated',
      'audit.webhook_endpoint.created',
    ]);
    for (const item of trail.body.items) {
      expect(item).toMatchObject({ tenantId: tenantA, actor: { kind: 'tenant', credentialId: keyIdA } });
      expect(item.memberId).toBeUndefined();
    }
    const [adjustedEvent, programmeEvent, rotatedEvent] = trail.body.items;
    expect(adjustedEvent?.data).toEqual({
      subject: { type: 'member', id: memberId },
      entryId: adjusted.body.entry.entryId,
      amountPoints: -10,
    });
    expect(programmeEvent?.data).toMatchObject({
      subject: { type: 'programme', id: tenantA },
      programmeVersion: programme.body.version + 1,
      changedFields: ['expiryNoticeDays'],
    });
    expect(rotatedEvent?.data.subject).toEqual({ type: 'webhook_endpoint', id: subscriptionId });
    const text = JSON.stringify(trail.body);
    for (const secret of [keyA, endpoint.body.secret, rotated.body.secret, 'correction']) {
      expect(text).not.toContain(secret);
    }

    // ... filtered by type prefix, and paged with a cursor.
    const onlyEndpoint = await apiA<{ items: AuditItem[] }>('/v1/audit-events?type=audit.webhook_endpoint');
    expect(onlyEndpoint.body.items.map((item) => item.type)).toEqual(types.slice(2));
    const first = await apiA<{ items: AuditItem[]; nextCursor?: string }>('/v1/audit-events?limit=3');
    expect(first.body.nextCursor).toBeDefined();
    const next = await apiA<{ items: AuditItem[]; nextCursor?: string }>(
      `/v1/audit-events?limit=3&cursor=${first.body.nextCursor ?? ''}`,
    );
    expect([...first.body.items, ...next.body.items].map((item) => item.type)).toEqual(types);

    // ... another tenant sees none of it.
    const other = await apiB<{ items: AuditItem[] }>('/v1/audit-events');
    expect(other).toEqual({ status: 200, body: { items: [] } });

    // ... the lake has every audit event, under the tenant's partition.
    const inLake = await waitFor(
      () => {
        const mine = lakeRecords(twin.lakeDir).filter(
          (r) => r.tenantId === tenantA && String(r.type).startsWith('audit.'),
        );
        return Promise.resolve(mine.length >= types.length ? mine : undefined);
      },
      { timeoutMs: 20_000, what: 'audit events in the lake' },
    );
    expect(inLake.map((record) => record.id).sort()).toEqual(trail.body.items.map((item) => item.id).sort());

    // ... and the endpoint subscribed to audit.* got them, signed, and nothing else.
    const hooks = await waitFor(
      async () => {
        const got = await receivedHooks(twin, receiver);
        return got.length >= types.length ? got : undefined;
      },
      { timeoutMs: 20_000, what: 'audit webhooks' },
    );
    expect(hooks.every((hook) => hook.verified)).toBe(true);
    expect(hooks.map((hook) => hook.body?.type)).toEqual([...types].reverse());
  }, 120_000);
});
