import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import type { Backfill } from '../domain/backfill';
import type { BackfillStore, SliceProgress } from '../domain/backfill-runner';
import { keys } from '../domain/keys';
import { Problem } from '../shared/problem';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';

const ACTIVE = '#status IN (:queued, :running)';
const activeValues = { ':queued': 'queued', ':running': 'running' };

/** True when a transaction was cancelled because one of its conditions failed (the state moved on). */
function conditionFailed(error: unknown): boolean {
  const { name, CancellationReasons } = error as { name?: string; CancellationReasons?: { Code?: string }[] };
  return (
    name === 'TransactionCanceledException' &&
    (CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed')
  );
}

/**
 * Backfill records beside their tenant (`BACKFILL#<id>`), and a lock item (`BACKFILLLOCK`) the active one holds:
 * creating a backfill puts both in one transaction, so a tenant never has two running; ending one (succeeded,
 * failed, cancelled) deletes the lock in the same transaction as the status.
 */
export class DynamoBackfillStore implements BackfillStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(backfill: Backfill): Promise<void> {
    const lock = keys.backfillLock(backfill.tenantId);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...lock, kind: 'backfillLock', backfillId: backfill.backfillId },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys.backfill(backfill.tenantId, backfill.backfillId), kind: 'backfill', ...backfill },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      );
    } catch (error) {
      if (conditionFailed(error)) throw new Problem('backfill_active');
      throw error;
    }
  }

  async get(tenantId: string, backfillId: string): Promise<Backfill | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.backfill(tenantId, backfillId), ConsistentRead: true }),
    );
    return Item ? backfillOf(Item) : null;
  }

  async active(tenantId: string): Promise<Backfill | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.backfillLock(tenantId), ConsistentRead: true }),
    );
    return typeof Item?.backfillId === 'string' ? this.get(tenantId, Item.backfillId) : null;
  }

  async list(tenantId: string, page: { limit: number; cursor?: string }) {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor, ['sk']).sk;
    const { pk } = keys.backfill(tenantId, '');
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': keys.backfillPrefix },
        // Newest first: ids sort by creation time.
        ScanIndexForward: false,
        Limit: page.limit,
        ...(after?.startsWith(keys.backfillPrefix) ? { ExclusiveStartKey: { pk, sk: after } } : {}),
      }),
    );
    const items = (result.Items ?? []).map(backfillOf);
    const last = result.Items?.at(-1);
    return {
      items,
      ...(result.LastEvaluatedKey && last ? { nextCursor: encodeCursor({ sk: String(last.sk) }) } : {}),
    };
  }

  async recordSlice(tenantId: string, backfillId: string, progress: SliceProgress): Promise<boolean> {
    const update = new UpdateCommand({
      TableName: this.tableName,
      Key: keys.backfill(tenantId, backfillId),
      UpdateExpression:
        'SET #status = :status, slice = :next, #position = :position, updatedAt = :at, ' +
        'startedAt = if_not_exists(startedAt, :at)' +
        (progress.lastEventAt ? ', lastEventAt = :lastEventAt' : '') +
        (progress.done ? ', finishedAt = :at' : '') +
        (progress.feed?.memberCursor ? ', memberCursor = :memberCursor' : '') +
        ' ADD eventsSent :added' +
        (progress.feed ? ', eventsIndexed :indexed' : '') +
        (progress.feed && !progress.feed.memberCursor ? ' REMOVE memberCursor' : ''),
      ConditionExpression: `slice = :slice AND ${ACTIVE}`,
      ExpressionAttributeNames: { '#status': 'status', '#position': 'position' },
      ExpressionAttributeValues: {
        ...activeValues,
        ':status': progress.done ? 'succeeded' : 'running',
        ':slice': progress.slice,
        ':next': progress.slice + 1,
        ':position': progress.position,
        ':at': progress.at,
        ':added': progress.eventsAdded,
        ...(progress.lastEventAt ? { ':lastEventAt': progress.lastEventAt } : {}),
        ...(progress.feed ? { ':indexed': progress.feed.eventsIndexed } : {}),
        ...(progress.feed?.memberCursor ? { ':memberCursor': progress.feed.memberCursor } : {}),
      },
    });
    if (!progress.done) return applied(this.client.send(update));
    return this.endWithLock(tenantId, backfillId, update.input);
  }

  async markChained(tenantId: string, backfillId: string, slice: number): Promise<void> {
    // Only forward: a late copy never moves it back.
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.backfill(tenantId, backfillId),
          UpdateExpression: 'SET chainedSlice = :slice',
          ConditionExpression: 'chainedSlice < :slice',
          ExpressionAttributeValues: { ':slice': slice },
        }),
      ),
    );
  }

  async finish(
    tenantId: string,
    backfillId: string,
    end: { status: 'cancelled' | 'failed'; at: string; error?: string },
  ): Promise<Backfill | null> {
    const update = new UpdateCommand({
      TableName: this.tableName,
      Key: keys.backfill(tenantId, backfillId),
      UpdateExpression:
        'SET #status = :end, finishedAt = :at, updatedAt = :at' +
        (end.error ? ', #errors = list_append(#errors, :error)' : ''),
      ConditionExpression: ACTIVE,
      ExpressionAttributeNames: { '#status': 'status', ...(end.error ? { '#errors': 'errors' } : {}) },
      ExpressionAttributeValues: {
        ...activeValues,
        ':end': end.status,
        ':at': end.at,
        ...(end.error ? { ':error': [end.error.slice(0, 500)] } : {}),
      },
    });
    if (!(await this.endWithLock(tenantId, backfillId, update.input))) return null;
    return this.get(tenantId, backfillId);
  }

  /** Applies an update that ends the backfill and releases the tenant's lock with it; false if its condition failed. */
  private async endWithLock(tenantId: string, backfillId: string, update: UpdateCommand['input']): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                ...update,
                TableName: this.tableName,
                Key: keys.backfill(tenantId, backfillId),
                UpdateExpression: update.UpdateExpression ?? '',
              },
            },
            {
              Delete: {
                TableName: this.tableName,
                Key: keys.backfillLock(tenantId),
                ConditionExpression: 'attribute_not_exists(pk) OR backfillId = :id',
                ExpressionAttributeValues: { ':id': backfillId },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }
}

/** The record as the domain knows it: the item without its keys and marker. */
function backfillOf(item: Record<string, unknown>): Backfill {
  const { pk: _pk, sk: _sk, kind: _kind, ...backfill } = item;
  return backfill as unknown as Backfill;
}
