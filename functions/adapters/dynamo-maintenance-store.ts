import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { nextNotice, type MaintenancePhase, type MaintenanceWindow } from '../domain/maintenance';
import type { MaintenanceStore, NoticeOutbox } from '../domain/maintenance-notifier';
import type { MaintenanceEvent } from '../domain/events';
import { outboxItem } from '../domain/outbox';
import type { Page } from '../domain/ports';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';
import { queryAll } from './query-prefix';

const WINDOW_FIELDS = [
  'windowId',
  'summary',
  'description',
  'impact',
  'startsAt',
  'endsAt',
  'noticeLeadHours',
  'createdAt',
  'createdBy',
  'requestHash',
  'cancelledAt',
  'cancelledBy',
  'sent',
  'sending',
  'version',
] as const;

/** The stored item's window fields (index keys and markers left out). */
function windowOf(item: Record<string, unknown>): MaintenanceWindow {
  return Object.fromEntries(
    WINDOW_FIELDS.filter((field) => item[field] !== undefined).map((field) => [field, item[field]]),
  ) as unknown as MaintenanceWindow;
}

/**
 * Platform maintenance windows in the ledger table: one item per window in its own partition, listed through the
 * `members` index by end time, and in the `due` index while a notice is still to send (by when it is due), so the
 * scheduled run reads only windows with work. Every save is conditional on the version it was made from.
 */
export class DynamoMaintenanceStore implements MaintenanceStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private item(window: MaintenanceWindow) {
    const next = nextNotice(window);
    return {
      ...keys.maintenanceWindow(window.windowId),
      ...keys.maintenanceListKeys(window.endsAt, window.windowId),
      kind: 'maintenanceWindow',
      ...window,
      ...(next ? { duePk: keys.maintenanceDue, dueAt: next.dueAt } : {}),
    };
  }

  async get(windowId: string): Promise<MaintenanceWindow | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.maintenanceWindow(windowId), ConsistentRead: true }),
    );
    return Item ? windowOf(Item) : null;
  }

  create(window: MaintenanceWindow): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(window),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  save(window: MaintenanceWindow, expectedVersion: number): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.item(window),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      ),
    );
  }

  async list(query: { limit: number; cursor?: string }): Promise<Page<MaintenanceWindow>> {
    const after = query.cursor ? decodeCursor(query.cursor, ['position']).position : undefined;
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'members',
        KeyConditionExpression: after ? 'gsi1pk = :pk AND gsi1sk < :after' : 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.maintenanceList, ...(after ? { ':after': after } : {}) },
        ScanIndexForward: false,
        Limit: query.limit,
      }),
    );
    const items = Items.map(windowOf);
    const last = items[items.length - 1];
    const position = last ? keys.maintenanceListKeys(last.endsAt, last.windowId).gsi1sk : undefined;
    return { items, ...(LastEvaluatedKey && position ? { nextCursor: encodeCursor({ position }) } : {}) };
  }

  async endingAfter(endsAfter: string): Promise<MaintenanceWindow[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: 'members',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk >= :from',
      ExpressionAttributeValues: { ':pk': keys.maintenanceList, ':from': endsAfter },
    });
    return items.map(windowOf);
  }

  async dueIds(now: string): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      IndexName: 'due',
      KeyConditionExpression: 'duePk = :pk AND dueAt <= :now',
      ExpressionAttributeValues: { ':pk': keys.maintenanceDue, ':now': now },
    });
    return items.map((item) => String(item.pk).slice('MAINTENANCE#'.length));
  }
}

/**
 * A tenant's platform notices as outbox items (`kind = "event"`, the feed's index keys, the outbox's retention),
 * each written only if absent: the same (window, phase, tenant) is one item, so a repeat writes nothing.
 */
export class DynamoNoticeOutbox implements NoticeOutbox {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  put(windowId: string, phase: MaintenancePhase, event: MaintenanceEvent): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: outboxItem(keys.platformNotice(event.tenantId, windowId, phase), event),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }
}
