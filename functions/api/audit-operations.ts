import * as z from '../shared/zod';
import { auditEvent, type AuditData } from '../domain/audit';
import { loyaltyEvent, type AuditEventType } from '../domain/events';
import { correlationIdOf } from './correlation';
import type { Operation, OperationContext } from './operation-kit';
import { readOperation } from './operation-shapes';
import { listQuery } from './schemas';

/**
 * Records an admin or security action in the tenant's audit trail, right after the action, with the
 * acting credential and the request's correlation id. The event id is derived from `key` (default:
 * API Gateway's id of this request), so recording the same action again writes nothing new; pass
 * the Idempotency-Key or a version when a retried request must land on the same event, and `at`
 * (the action's own timestamp) so the repeat builds the same event. Operator actions pass the
 * tenant they acted on.
 * @example await recordAudit(ctx, 'audit.api_key.revoked', keyId, {});
 * @example await recordAudit(ctx, 'audit.tenant.suspended', tenantId, {}, { tenantId }); // an operator's action
 */
export async function recordAudit<T extends AuditEventType>(
  ctx: OperationContext,
  type: T,
  subjectId: string,
  data: AuditData<T>,
  options: { tenantId?: string; at?: string; key?: string } = {},
): Promise<void> {
  const { event, principal, services } = ctx;
  const tenantId = options.tenantId ?? ctx.tenantId;
  // An operator's context has no tenant: its call must name the tenant it acted on.
  if (tenantId === '') throw new Error(`${type} needs the tenant the action was about`);
  await services.audit.record(
    auditEvent({
      type,
      tenantId,
      principal,
      subjectId,
      data,
      occurredAt: options.at ?? services.clock.now().toISOString(),
      idempotencyKey: options.key ?? event.requestContext.requestId,
      correlationId: correlationIdOf(event),
    }),
  );
}

export const auditListQuery = z.strictObject({
  ...listQuery,
  type: z
    .optional(
      z
        .string()
        .check(z.regex(/^audit(\.[a-z_]+){0,3}$/, 'an audit event type or a prefix of one, e.g. audit.api_key')),
    )
    .check(z.describe('Only events whose type starts with this, e.g. `audit.webhook_endpoint`')),
  from: z.optional(z.iso.datetime()).check(z.describe('Events at or after this instant')),
  to: z.optional(z.iso.datetime()).check(z.describe('Events at or before this instant')),
});

const auditEventResponse = z
  .union(loyaltyEvent.def.options.filter((option) => z.literalValue(option.shape.type).startsWith('audit.')))
  .check(z.describe('An audit event, as the event catalogue defines it'));

export const auditOperations: Operation[] = [
  readOperation({
    path: '/v1/audit-events',
    operationId: 'listAuditEvents',
    summary:
      "The tenant's audit trail, newest first: admin and security actions on its set-up, credentials, programme " +
      'and points, with the acting credential (kept 400 days here; for ever in the lake)',
    tag: 'Audit',
    scope: 'audit:read',
    query: auditListQuery,
    ok: {
      description: 'Audit events',
      schema: z.object({
        items: z.array(auditEventResponse),
        nextCursor: z
          .optional(z.string())
          .check(z.describe('Pass as `cursor` for the next page; absent on the last page')),
      }),
    },
    read: async ({ tenantId, services }, { type, ...query }) =>
      services.audit.list(tenantId, { ...query, ...(type ? { typePrefix: type } : {}) }),
  }),
];
