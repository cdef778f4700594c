import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { auditTransactPut } from '../../functions/adapters/dynamo-audit-trail';
import { recordAudit } from '../../functions/api/audit-operations';
import type { OperationContext } from '../../functions/api/operation-kit';
import { eventFromStreamRecord } from '../../functions/adapters/outbox-stream';
import { AUDIT_RETENTION_DAYS, auditEvent, auditEventId, changedFieldNames } from '../../functions/domain/audit';
import type { Principal } from '../../functions/domain/credentials';
import { AUDIT_SUBJECT_TYPES, EVENT_TYPES, loyaltyEvent, type AuditEvent } from '../../functions/domain/events';
import * as z from '../../functions/shared/zod';
import { matchesEventType, orderingKey, webhookBody } from '../../functions/domain/webhooks/message';
import { matchesAny } from '../../local/event-filter';
import { OUTBOX_EVENT_FILTER, rawEvents } from '../../functions/declaration/topology';
import { partitionValues } from '../../functions/declaration/lake-partitioning';

const tenantKey: Principal = { kind: 'tenant', tenantId: 't1', credentialId: 'key_1', scopes: ['webhooks:manage'] };
const operator: Principal = { kind: 'operator', credentialId: 'opk_1', scopes: ['admin'] };

const rotated = (principal: Principal = tenantKey, idempotencyKey = 'req-1') =>
  auditEvent({
    type: 'audit.webhook_endpoint.secret_rotated',
    tenantId: 't1',
    principal,
    subjectId: 'sub_1',
    data: { overlapEndsAt: '2026-01-02T00:00:00.000Z' },
    occurredAt: '2026-01-01T00:00:00.000Z',
    idempotencyKey,
    correlationId: 'corr-1',
  });

describe('audit events', () => {
  it('name the tenant, the acting credential and the subject, with no member and no seq', () => {
    // Act
    const event = rotated();

    // Assess
    expect(event).toEqual({
      id: expect.stringMatching(/^aud_[0-9a-f]{32}$/),
      version: 1,
      tenantId: 't1',
      occurredAt: '2026-01-01T00:00:00.000Z',
      correlationId: 'corr-1',
      type: 'audit.webhook_endpoint.secret_rotated',
      actor: { kind: 'tenant', credentialId: 'key_1' },
      data: { subject: { type: 'webhook_endpoint', id: 'sub_1' }, overlapEndsAt: '2026-01-02T00:00:00.000Z' },
    });
    expect(loyaltyEvent.parse(event)).toEqual(event);
    expect(rotated(operator).actor).toEqual({ kind: 'operator', credentialId: 'opk_1' });
  });

  it('get the same id for the same action, another for another request', () => {
    expect(rotated().id).toBe(rotated().id);
    expect(rotated(tenantKey, 'req-2').id).not.toBe(rotated().id);
  });

  it('carry no field their schema does not name: a secret passed by mistake is dropped', () => {
    // Prepare: a caller that hands over more than the schema allows
    const data = { overlapEndsAt: '2026-01-02T00:00:00.000Z', secret: 'whsec_leak', apiKey: 'llk_leak' };

    // Act
    const event = auditEvent({
      type: 'audit.webhook_endpoint.secret_rotated',
      tenantId: 't1',
      principal: { ...tenantKey, apiKey: 'llk_principal_leak' } as Principal,
      subjectId: 'sub_1',
      data,
      occurredAt: '2026-01-01T00:00:00.000Z',
      idempotencyKey: 'req-1',
    });

    // Assess
    expect(JSON.stringify(event)).not.toMatch(/leak|scopes/);
  });

  it('define a subject for every audit type, and no audit type carries a secret-like field', () => {
    const auditTypes = EVENT_TYPES.filter((type) => type.startsWith('audit.'));
    expect(auditTypes.length).toBeGreaterThanOrEqual(16);
    expect(Object.keys(AUDIT_SUBJECT_TYPES).sort()).toEqual([...auditTypes].sort());
    const fields = JSON.stringify(
      loyaltyEvent.def.options.filter((o) => z.literalValue(o.shape.type).startsWith('audit.')),
    );
    expect(fields).not.toMatch(/secret"|apiKey|token|password|"url"/i);
  });

  it('name changed fields only, never values', () => {
    expect(changedFieldNames({ a: 1, b: { c: 2 }, d: 'x' }, { a: 1, b: { c: 3 }, e: 'y' })).toEqual(['b', 'd', 'e']);
  });
});

describe('audit events through the outbox', () => {
  const item = auditTransactPut('table', rotated()).Put.Item;

  it('are outbox items in the tenant audit partition, by time then id, kept 400 days', () => {
    expect(item).toMatchObject({
      pk: 'TENANT#t1#AUDIT',
      sk: `AT#2026-01-01T00:00:00.000Z#${rotated().id}`,
      kind: 'event',
      expiresAt: Date.parse('2026-01-01T00:00:00.000Z') / 1000 + AUDIT_RETENTION_DAYS * 86_400,
    });
  });

  it('pass the stream filter, come back whole from the stream record and partition in the lake by tenant', () => {
    // Prepare
    const record = {
      eventName: 'INSERT',
      dynamodb: { NewImage: marshall(item, { removeUndefinedValues: true }) },
    } as unknown as DynamoDBRecord;

    // Act
    const event = eventFromStreamRecord(record);

    // Assess
    expect(matchesAny([OUTBOX_EVENT_FILTER], record)).toBe(true);
    expect(event).toEqual(rotated());
    expect(partitionValues(rotated(), rawEvents.partitionKeys)).toEqual({
      tenant: 't1',
      date: '2026-01-01',
      hour: '00',
    });
  });

  it('reach only endpoints that ask for them, in one FIFO group per endpoint, subject kept in thin payloads', () => {
    expect(matchesEventType(['*'], 'audit.api_key.revoked')).toBe(false);
    expect(matchesEventType(['*'], 'points.earned')).toBe(true);
    expect(matchesEventType(['audit.*'], 'audit.api_key.revoked')).toBe(true);
    expect(matchesEventType(['audit.api_key.*'], 'audit.api_key.revoked')).toBe(true);
    expect(matchesEventType(['audit.api_key.revoked'], 'audit.api_key.revoked')).toBe(true);
    expect(orderingKey(rotated())).toBe('!audit');
    const thin = JSON.parse(webhookBody(rotated(), { payload: 'thin' })) as Record<string, unknown>;
    expect(thin).toMatchObject({
      type: 'audit.webhook_endpoint.secret_rotated',
      actor: { kind: 'tenant', credentialId: 'key_1' },
      data: { subject: { type: 'webhook_endpoint', id: 'sub_1' } },
    });
  });
});

describe('recordAudit', () => {
  const contextOf = (principal: Principal, tenantId: string) => {
    const recorded: AuditEvent[] = [];
    const ctx = {
      event: { headers: { 'x-correlation-id': 'corr-9' }, requestContext: { requestId: 'req-9' } },
      tenantId,
      principal,
      services: {
        clock: { now: () => new Date('2026-03-01T12:00:00.000Z') },
        audit: {
          record: (event: AuditEvent) => Promise.resolve(void recorded.push(event)),
          list: () => Promise.reject(new Error('unused')),
        },
      },
    } as unknown as OperationContext;
    return { ctx, recorded };
  };

  it("records the caller's action in its tenant, keyed by the request, with its correlation id", async () => {
    // Prepare
    const { ctx, recorded } = contextOf(tenantKey, 't1');

    // Act
    await recordAudit(ctx, 'audit.api_key.revoked', 'key_2', {});

    // Assess
    expect(recorded).toEqual([
      {
        id: auditEventId('t1', 'audit.api_key.revoked', 'key_2', 'req-9'),
        version: 1,
        tenantId: 't1',
        occurredAt: '2026-03-01T12:00:00.000Z',
        correlationId: 'corr-9',
        type: 'audit.api_key.revoked',
        actor: { kind: 'tenant', credentialId: 'key_1' },
        data: { subject: { type: 'api_key', id: 'key_2' } },
      },
    ]);
  });

  it('makes an operator name the tenant it acted on', async () => {
    // Prepare
    const { ctx, recorded } = contextOf(operator, '');

    // Act / Assess
    await expect(recordAudit(ctx, 'audit.tenant.suspended', 't7', {})).rejects.toThrow('needs the tenant');
    await recordAudit(ctx, 'audit.tenant.suspended', 't7', {}, { tenantId: 't7' });
    expect(recorded).toMatchObject([{ tenantId: 't7', actor: { kind: 'operator', credentialId: 'opk_1' } }]);
  });
});
