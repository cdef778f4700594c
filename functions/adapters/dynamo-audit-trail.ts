import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AUDIT_RETENTION_DAYS } from '../domain/audit';
import { loyaltyEvent, type AuditEvent } from '../domain/events';
import { keys } from '../domain/keys';
import { outboxItem } from '../domain/outbox';
import type { AuditQuery, AuditTrail, Page } from '../domain/ports';
import { TTL_ATTRIBUTE } from '../shared/item-ttl';
import { Problem } from '../shared/problem';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';

/**
 * The Put of an audit event for a TransactWrite: a store that already writes its action in one
 * transaction adds this to it, so the action and its audit event commit together (or neither does).
 * A second Put of the same event fails the transaction's condition: build it once per action.
 * @example TransactItems: [{ Put: tenantPut }, auditTransactPut(tableName, auditEvent({ ... }))]
 */
export function auditTransactPut(tableName: string, event: AuditEvent) {
  return {
    Put: {
      TableName: tableName,
      Item: outboxItem(keys.auditEvent(event.tenantId, event.occurredAt, event.id), event, AUDIT_RETENTION_DAYS),
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/**
 * The audit trail in the ledger table: one partition per tenant (`TENANT#<t>#AUDIT`), sorted by
 * time then event id, each item an outbox event item (the stream carries it to the lake and the
 * webhooks) kept `AUDIT_RETENTION_DAYS`. Audit actions are rare (people and scripts acting on a
 * set-up), so one partition per tenant stays far below DynamoDB's per-partition write limit.
 */
export class DynamoAuditTrail implements AuditTrail {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Writes the event once: the same event again (a retried request) is a no-op. */
  async record(event: AuditEvent): Promise<void> {
    await applied(this.client.send(new PutCommand(auditTransactPut(this.tableName, event).Put)));
  }

  async list(tenantId: string, query: AuditQuery): Promise<Page<AuditEvent>> {
    const pk = keys.auditPk(tenantId);
    const from = keys.auditSkPrefix + (query.from ?? '');
    // Every sort key at `to` sorts below `<to>#\uffff`: the bound is inclusive of that instant.
    const to = keys.auditSkPrefix + (query.to ? `${query.to}#` : '') + '\uffff';
    let start: Record<string, unknown> | undefined;
    if (query.cursor) {
      const { sk } = decodeCursor(query.cursor, ['sk']);
      // DynamoDB refuses a start key outside the range (a 500): a cursor from another range is the caller's error.
      if (!sk || sk < from || sk > to) throw new Problem('cursor_invalid');
      start = { pk, sk };
    }
    const items: AuditEvent[] = [];
    // A type filter may empty a page; keep reading until the page is full or the range ends.
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ...(query.typePrefix
            ? { FilterExpression: 'begins_with(#type, :type)', ExpressionAttributeNames: { '#type': 'type' } }
            : {}),
          ExpressionAttributeValues: {
            ':pk': pk,
            ':from': from,
            ':to': to,
            ...(query.typePrefix ? { ':type': query.typePrefix } : {}),
          },
          ScanIndexForward: false,
          Limit: query.limit - items.length,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []).map(auditEventOf));
      start = page.LastEvaluatedKey;
    } while (start && items.length < query.limit);
    return { items, ...(start ? { nextCursor: encodeCursor({ sk: String(start.sk) }) } : {}) };
  }
}

/** The event an audit item holds: the item without its key, marker and TTL. */
function auditEventOf(item: Record<string, unknown>): AuditEvent {
  const { pk: _pk, sk: _sk, kind: _kind, [TTL_ATTRIBUTE]: _ttl, ...event } = item;
  return loyaltyEvent.parse(event) as AuditEvent;
}
