import { table } from '../declaration/topology';
import { ttlAttribute, ttlEpochSeconds } from '../shared/item-ttl';
import { feedIndexKeys } from './feed';
import type { Mutation } from './ledger';

const DAY_S = 86_400;

/**
 * The outbox item of an event: the complete event at its key, marked `kind = "event"` (what the
 * stream consumers' filter passes) and expiring `outboxRetentionDays` after the event (TTL), so
 * outbox items do not grow a member's partition for ever. Audit items are kept longer (`retentionDays`).
 * The item carries its `feed` index keys, so the event joins the tenant's feed in the same write.
 *
 * @example
 * const item = outboxItem(keys.event(tenantId, memberId, event.seq), event);
 */
export function outboxItem<E extends { occurredAt: string }>(
  key: { pk: string; sk: string },
  event: E,
  retentionDays: number = table.outboxRetentionDays,
) {
  const deleteAfter = ttlEpochSeconds(Date.parse(event.occurredAt), retentionDays * DAY_S);
  return { ...key, kind: 'event' as const, ...event, ...feedIndexKeys(event), ...ttlAttribute(deleteAfter) };
}

/**
 * The change with each of its events stamped with the correlation id of the request or job that
 * made it (the planner knows nothing of requests; whoever commits passes the id in as data).
 * @example store.commit(withCorrelationId(mutation, 'req-7'), record)
 */
export function withCorrelationId(mutation: Mutation, correlationId: string | undefined): Mutation {
  if (correlationId === undefined) return mutation;
  return { ...mutation, events: mutation.events.map((event) => ({ ...event, correlationId })) };
}
