import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_RETENTION_DAYS, type BatchRecord, type StoredResult } from '../domain/batches';
import type { BatchStore } from '../domain/batch-service';
import type { EventOf } from '../domain/events';
import { keys } from '../domain/keys';
import { outboxItem } from '../domain/outbox';
import type { Page } from '../domain/ports';
import { ttlAfterDays, ttlAttribute } from '../shared/item-ttl';
import { Problem } from '../shared/problem';
import { transactWrite } from './cancelled-transaction';
import { decodeCursor, encodeCursor } from './cursor';

const BATCH_FIELDS = [
  'tenantId',
  'batchId',
  'idempotencyKey',
  'requestHash',
  'status',
  'total',
  'succeeded',
  'failed',
  'queued',
  'createdAt',
  'completedAt',
  'correlationId',
] as const;

const batchOf = (item: Record<string, unknown>): BatchRecord =>
  Object.fromEntries(
    BATCH_FIELDS.filter((f) => item[f] !== undefined).map((f) => [f, item[f]]),
  ) as unknown as BatchRecord;

const resultOf = (item: Record<string, unknown>): StoredResult => {
  const { index, type, idempotencyKey, statusCode, bodyJson, member, memberId, completedAt } = item;
  return {
    index,
    type,
    idempotencyKey,
    statusCode,
    ...(member !== undefined ? { member } : { body: JSON.parse(bodyJson as string) as unknown }),
    ...(memberId !== undefined ? { memberId } : {}),
    completedAt,
  } as StoredResult;
};

/**
 * Batches in the table: one partition per batch holds the batch (its counts), a result per command (by index)
 * and, once complete, its `batch.completed` outbox event. All but the event expire after BATCH_RETENTION_DAYS.
 * The key's claim lives in its own partition, so a retry of `POST /v1/batches` finds the batch it made.
 */
export class DynamoBatchStore implements BatchStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(batch: BatchRecord): Promise<{ created: true } | { created: false; existing: BatchRecord }> {
    const { tenantId, batchId, idempotencyKey } = batch;
    const ttl = ttlAttribute(ttlAfterDays(new Date(batch.createdAt), BATCH_RETENTION_DAYS));
    const cancelled = await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.batchKey(tenantId, idempotencyKey), kind: 'batchKey', batchId, ...ttl },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { ...keys.batch(tenantId, batchId), kind: 'batch', ...batch, ...ttl },
        },
      },
    ]);
    if (!cancelled) return { created: true };
    if (!cancelled.conditionFailed) throw cancelled.error;
    const claim = await this.read(keys.batchKey(tenantId, idempotencyKey));
    const existing = claim ? await this.get(tenantId, claim.batchId as string) : null;
    // The claim and its batch are written together: one without the other is a broken table, not a caller's fault.
    if (!existing) throw new Error(`Batch key ${idempotencyKey} of ${tenantId} names no batch`);
    return { created: false, existing };
  }

  async get(tenantId: string, batchId: string): Promise<BatchRecord | null> {
    const item = await this.read(keys.batch(tenantId, batchId));
    return item ? batchOf(item) : null;
  }

  async markQueued(tenantId: string, batchId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.batch(tenantId, batchId),
        UpdateExpression: 'SET queued = :true',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
  }

  async hasResult(tenantId: string, batchId: string, index: number): Promise<boolean> {
    return (await this.read(keys.batchResult(tenantId, batchId, index))) !== undefined;
  }

  async recordResult(
    tenantId: string,
    batchId: string,
    result: StoredResult,
    outcome: 'succeeded' | 'failed',
  ): Promise<boolean> {
    // A reply's body as JSON text (any shape, empty strings included); a member reply keeps its member id only.
    const { body, ...fields } = { body: undefined, ...result };
    const stored = 'member' in result ? fields : { ...fields, bodyJson: JSON.stringify(body) };
    const ttl = ttlAttribute(ttlAfterDays(new Date(result.completedAt), BATCH_RETENTION_DAYS));
    const cancelled = await transactWrite(this.client, [
      {
        Put: {
          TableName: this.tableName,
          Item: {
            ...keys.batchResult(tenantId, batchId, result.index),
            kind: 'batchResult',
            ...stored,
            ...ttl,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Update: {
          TableName: this.tableName,
          Key: keys.batch(tenantId, batchId),
          UpdateExpression: 'ADD #outcome :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#outcome': outcome },
          ExpressionAttributeValues: { ':one': 1 },
        },
      },
    ]);
    if (!cancelled) return true;
    if (cancelled.conditionFailed) return false;
    throw cancelled.error;
  }

  async complete(batch: BatchRecord, event: EventOf<'batch.completed'>): Promise<boolean> {
    const { tenantId, batchId } = batch;
    const cancelled = await transactWrite(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: keys.batch(tenantId, batchId),
          UpdateExpression: 'SET #status = :completed, completedAt = :at',
          ConditionExpression: '#status = :processing',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':completed': 'completed',
            ':processing': 'processing',
            ':at': event.occurredAt,
          },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: outboxItem(keys.batchEvent(tenantId, batchId), event),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    if (!cancelled) return true;
    if (cancelled.conditionFailed) return false;
    throw cancelled.error;
  }

  async listResults(
    tenantId: string,
    batchId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<StoredResult>> {
    const after = query.cursor ? decodeCursor(query.cursor, ['sk']).sk : undefined;
    if (after !== undefined && !after.startsWith(keys.batchResultPrefix)) throw new Problem('cursor_invalid');
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.batchPk(tenantId, batchId), ':prefix': keys.batchResultPrefix },
        Limit: query.limit,
        ConsistentRead: true,
        ...(after !== undefined ? { ExclusiveStartKey: { pk: keys.batchPk(tenantId, batchId), sk: after } } : {}),
      }),
    );
    const items = Items.map(resultOf);
    const last = Items.at(-1);
    return {
      items,
      ...(LastEvaluatedKey && last ? { nextCursor: encodeCursor({ sk: last.sk as string }) } : {}),
    };
  }

  private async read(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
}
