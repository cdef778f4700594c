import { createHash } from 'node:crypto';
import { actorOf, type Principal } from './credentials';
import {
  AUDIT_EVENT_SCHEMAS,
  AUDIT_SUBJECT_TYPES,
  assertWellFormedEvent,
  type AuditEvent,
  type AuditEventType,
} from './events';

/**
 * The audit trail: every admin and security action becomes an `audit.*` event, written as an outbox
 * item in the tenant's audit partition, so the stream carries it to the lake and to the webhook
 * endpoints that subscribe to `audit.*`, and the API lists it (`GET /v1/audit-events`).
 *
 * Audit items are kept `AUDIT_RETENTION_DAYS` in the table (queryable through the API), far longer
 * than the 30-day outbox; the lake keeps them for ever.
 */
export const AUDIT_RETENTION_DAYS = 400;

/** What an action tells the trail; the envelope (id, actor, tenant, time) is added by `auditEvent`. */
export type AuditData<T extends AuditEventType> = Omit<Extract<AuditEvent, { type: T }>['data'], 'subject'>;

export interface AuditInput<T extends AuditEventType> {
  type: T;
  /** The tenant the action was about (an operator's action names the tenant it acted on). */
  tenantId: string;
  principal: Principal;
  /** The id of what was acted on: the tenant, key, client, endpoint, programme (the tenant) or member. */
  subjectId: string;
  data: AuditData<T>;
  /** When the action took effect: the action's own timestamp where it has one, so a repeat builds the same event. */
  occurredAt: string;
  /**
   * What makes this action unique, from the request: the event id is derived from it, so recording
   * the same action twice (a retried request, a repeated write) writes one event.
   */
  idempotencyKey: string;
  correlationId?: string;
}

/** The event id of an action: a hash of what identifies it, so the same action always gets the same id. */
export function auditEventId(tenantId: string, type: AuditEventType, subjectId: string, key: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([tenantId, type, subjectId, key]))
    .digest('hex');
  return `aud_${digest.slice(0, 32)}`;
}

/**
 * The audit event of an action, checked against its schema: fields the schema does not name are
 * dropped, so a secret passed by mistake never reaches the outbox.
 * @example auditEvent({ type: 'audit.api_key.revoked', tenantId, principal, subjectId: keyId, data: {},
 *   occurredAt: now, idempotencyKey: requestId })
 */
export function auditEvent<T extends AuditEventType>(input: AuditInput<T>): Extract<AuditEvent, { type: T }> {
  const { type, tenantId, principal, subjectId, data, occurredAt, idempotencyKey, correlationId } = input;
  const event = AUDIT_EVENT_SCHEMAS[type].parse({
    id: auditEventId(tenantId, type, subjectId, idempotencyKey),
    version: 1,
    tenantId,
    occurredAt,
    ...(correlationId !== undefined ? { correlationId } : {}),
    type,
    actor: actorOf(principal),
    data: { ...data, subject: { type: AUDIT_SUBJECT_TYPES[type], id: subjectId } },
  });
  assertWellFormedEvent(event);
  return event;
}

/** The top-level fields whose values differ between two records (names only: what an audit event may carry). */
export function changedFieldNames(before: object, after: object): string[] {
  const was = before as Record<string, unknown>;
  const is = after as Record<string, unknown>;
  const names = new Set([...Object.keys(was), ...Object.keys(is)]);
  return [...names].filter((name) => JSON.stringify(was[name]) !== JSON.stringify(is[name])).sort();
}
