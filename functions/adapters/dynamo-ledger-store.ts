import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import type { Balance, MemberProfile, Mutation } from '../domain/ledger';
import type { CommitResult, IdempotencyRecord, LedgerStore } from '../domain/ports';

type Conflict = Exclude<CommitResult, { ok: true }>['conflict'];

/** Strips the table keys (and item kind) from an item. */
function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, kind: _kind, ...rest } = item;
  return rest as T;
}

/**
 * The ledger on DynamoDB: every change is one TransactWriteItems with the balance (version
 * checked), the immutable ledger entry, the complete outbox event and the idempotency record.
 */
export class DynamoLedgerStore implements LedgerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async getBalance(tenantId: string, memberId: string): Promise<Balance | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.balance(tenantId, memberId), ConsistentRead: true }),
    );
    return Item ? strip<Balance>(Item) : null;
  }

  async getProfile(tenantId: string, memberId: string): Promise<MemberProfile | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.profile(tenantId, memberId), ConsistentRead: true }),
    );
    return Item ? strip<MemberProfile>(Item) : null;
  }

  async findMemberIdByExternalId(tenantId: string, externalId: string): Promise<string | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.externalId(tenantId, externalId), ConsistentRead: true }),
    );
    return (Item?.memberId as string | undefined) ?? null;
  }

  async getIdempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: keys.idempotency(tenantId, key), ConsistentRead: true }),
    );
    return Item ? strip<IdempotencyRecord>(Item) : null;
  }

  async saveIdempotencyRecord(record: IdempotencyRecord): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.idempotency(record.tenantId, record.key), kind: 'idempotency', ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  async commit(mutation: Mutation, record: IdempotencyRecord): Promise<CommitResult> {
    const { tenantId, memberId } = mutation;
    const items: { conflict: Conflict; put: Record<string, unknown> }[] = [];
    const create = mutation.expectedVersion === null;

    items.push({
      conflict: create ? 'member' : 'version',
      put: {
        TableName: this.tableName,
        Item: { ...keys.balance(tenantId, memberId), kind: 'balance', ...mutation.balance },
        ...(create
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : {
              ConditionExpression: 'version = :expected',
              ExpressionAttributeValues: { ':expected': mutation.expectedVersion },
              // On a lost race the winner's balance comes back with the error: re-plan without a read.
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
      },
    });
    if (mutation.profile) {
      items.push({
        conflict: 'member',
        put: {
          TableName: this.tableName,
          Item: { ...keys.profile(tenantId, memberId), kind: 'profile', ...mutation.profile },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
      items.push({
        conflict: 'externalId',
        put: {
          TableName: this.tableName,
          Item: { ...keys.externalId(tenantId, mutation.profile.externalId), kind: 'externalId', memberId },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    if (mutation.entry) {
      items.push({
        conflict: 'version',
        put: {
          TableName: this.tableName,
          Item: { ...keys.entry(tenantId, memberId, mutation.entry.seq), kind: 'entry', ...mutation.entry },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    items.push({
      conflict: 'version',
      put: {
        TableName: this.tableName,
        Item: { ...keys.event(tenantId, memberId, mutation.event.seq), kind: 'event', ...mutation.event },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
    items.push({
      conflict: 'idempotency',
      put: {
        TableName: this.tableName,
        Item: { ...keys.idempotency(tenantId, record.key), kind: 'idempotency', ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });

    try {
      await this.client.send(
        new TransactWriteCommand({ TransactItems: items.map(({ put }) => ({ Put: put as never })) }),
      );
      return { ok: true };
    } catch (error) {
      if (error instanceof TransactionCanceledException || (error as Error).name === 'TransactionCanceledException') {
        const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
        // The idempotency record wins: a concurrent duplicate must replay, not re-plan.
        const failed = reasons
          .map((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? items[index]?.conflict : undefined))
          .filter((c): c is Conflict => c !== undefined);
        if (failed.includes('idempotency')) return { ok: false, conflict: 'idempotency' };
        if (failed.length > 0) {
          const winner = reasons[0]?.Code === 'ConditionalCheckFailed' ? reasons[0].Item : undefined;
          const current = winner && !create ? strip<Balance>(unmarshall(winner)) : undefined;
          return { ok: false, conflict: failed[0]!, ...(current ? { current } : {}) };
        }
        // TransactionConflict: another transaction touched the same items; plan again.
        if (reasons.some((reason) => reason.Code === 'TransactionConflict')) return { ok: false, conflict: 'version' };
      }
      throw error;
    }
  }
}
