import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { keys, MEMBER_LIST_SHARDS } from '../domain/keys';
import type { HistoryLine } from '../domain/history';
import { outboxItem } from '../domain/outbox';
import type { Balance, EntryState, LedgerEntry, MemberProfile, MemberStatus, Mutation } from '../domain/ledger';
import type {
  CommitGroup,
  CommitResult,
  EntryQuery,
  GroupCommitResult,
  IdempotencyRecord,
  LedgerStore,
  Page,
} from '../domain/ports';
import { ACCOUNT_SHARDS, type AccountRef, type Redemption } from '../domain/rewards';
import { systemClock, type Clock } from '../shared/clock';
import { TTL_ATTRIBUTE, ttlEpochSeconds } from '../shared/item-ttl';
import { accountUpdate } from './account-items';
import { transactWrite, type CancelledTransaction } from './cancelled-transaction';
import { applied } from './conditional-write';
import { decodeCursor, encodeCursor } from './cursor';
import { idempotencyItem, idempotencyRecordOf } from './idempotency-item';
import { required } from '../shared/required';

type Conflict = Exclude<CommitResult, { ok: true }>['conflict'];

/** Attributes that exist only to key items and indexes; never part of a domain object. */
const KEY_ATTRIBUTES = new Set(['pk', 'sk', 'kind', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'duePk', 'lsi1sk']);

/** The item without its key attributes; the caller says which domain object the rest is. */
export function strip(item: Record<string, unknown>): object {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !KEY_ATTRIBUTES.has(name)));
}

/** `dueAt` keys the `due` index, so it is absent (not null) when nothing is due. */
export function balanceFromItem(item: Record<string, unknown>): Balance {
  const balance = strip(item) as Omit<Balance, 'lots' | 'pending' | 'dueAt'> &
    Partial<Pick<Balance, 'lots' | 'pending' | 'dueAt'>>;
  return { ...balance, lots: balance.lots ?? [], pending: balance.pending ?? [], dueAt: balance.dueAt ?? null };
}

/** The balance as stored: index attributes only when something is due. */
export function balanceItem(balance: Balance): Record<string, unknown> {
  const { dueAt, ...rest } = balance;
  return {
    ...keys.balance(balance.tenantId, balance.memberId),
    kind: 'balance',
    ...rest,
    ...(dueAt ? { dueAt, duePk: keys.dueShardOf(balance.tenantId, balance.memberId) } : {}),
  };
}

/** An idempotency record as stored (idempotency-item.ts); the reward store's credits write the same item. */
export { idempotencyItem };

type TransactAction =
  | { Put: Record<string, unknown> }
  | { Delete: Record<string, unknown> }
  | { Update: Record<string, unknown> }
  | { ConditionCheck: Record<string, unknown> };

const NEW_ITEM = 'attribute_not_exists(pk)';

/**
 * The ledger on DynamoDB: every change is one TransactWriteItems with the balance (version
 * checked), the immutable ledger entries, the complete outbox events, the profile when it
 * changes and the idempotency record.
 */
export class DynamoLedgerStore implements LedgerStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    /** Stamps the member queue's turns; the service's `waitClock` must read the same time. */
    private readonly clock: Clock = systemClock,
  ) {}

  private async get(key: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  async getBalance(tenantId: string, memberId: string): Promise<Balance | null> {
    const item = await this.get(keys.balance(tenantId, memberId));
    return item ? balanceFromItem(item) : null;
  }

  async getBalances(tenantId: string, memberIds: string[]): Promise<Map<string, Balance>> {
    const items = await this.batchGet(memberIds.map((memberId) => keys.balance(tenantId, memberId)));
    return new Map(items.map((item) => balanceFromItem(item)).map((balance) => [balance.memberId, balance]));
  }

  /** Reads of any number of keys (strongly consistent unless told): 100 a call, unprocessed keys retried. */
  private async batchGet(
    itemKeys: { pk: string; sk: string }[],
    consistent = true,
  ): Promise<Record<string, unknown>[]> {
    const found: Record<string, unknown>[] = [];
    const pending = [...itemKeys];
    let keysLeft: Record<string, unknown>[] = [];
    while (pending.length > 0 || keysLeft.length > 0) {
      keysLeft = [...keysLeft, ...pending.splice(0, 100 - keysLeft.length)];
      const { Responses, UnprocessedKeys } = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keysLeft, ConsistentRead: consistent } } }),
      );
      found.push(...(Responses?.[this.tableName] ?? []));
      keysLeft = (UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    return found;
  }

  async getProfile(tenantId: string, memberId: string): Promise<MemberProfile | null> {
    const item = await this.get(keys.profile(tenantId, memberId));
    return item ? (strip(item) as MemberProfile) : null;
  }

  async findMemberIdByExternalId(tenantId: string, externalId: string): Promise<string | null> {
    const item = await this.get(keys.externalId(tenantId, externalId));
    return (item?.memberId as string | undefined) ?? null;
  }

  async getIdempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | null> {
    const item = await this.get(keys.idempotency(tenantId, key));
    return item ? idempotencyRecordOf(tenantId, key, item) : null;
  }

  async getEntry(tenantId: string, memberId: string, seq: number) {
    const [entry, state] = await Promise.all([
      this.get(keys.entry(tenantId, memberId, seq)),
      this.get(keys.entryState(tenantId, memberId, seq)),
    ]);
    if (!entry) return null;
    return { entry: strip(entry) as LedgerEntry, state: state ? (strip(state) as EntryState) : null };
  }

  async listEntries(tenantId: string, memberId: string, query: EntryQuery): Promise<Page<LedgerEntry>> {
    const pk = keys.memberPk(tenantId, memberId);
    const byTime = query.from !== undefined || query.to !== undefined;
    const input: QueryCommandInput = byTime
      ? {
          TableName: this.tableName,
          IndexName: 'byTime',
          KeyConditionExpression: 'pk = :pk AND lsi1sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': pk,
            ':from': `AT#${query.from ?? ''}`,
            ':to': `AT#${query.to ?? '9999'}~`,
          },
        }
      : {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': keys.entryPrefix },
        };
    input.ScanIndexForward = query.order === 'asc';
    input.ConsistentRead = true;
    if (query.types?.length) {
      input.FilterExpression = `#type IN (${query.types.map((_, i) => `:t${i}`).join(', ')})`;
      input.ExpressionAttributeNames = { '#type': 'type' };
      const values = required(input.ExpressionAttributeValues, 'the query values');
      query.types.forEach((type, i) => {
        values[`:t${i}`] = type;
      });
    }
    const start = query.cursor ? decodeCursor(query.cursor, byTime ? ['sk', 'lsi1sk'] : ['sk']) : undefined;
    const { items, more } = await this.collect(input, query.limit, start && { pk, ...start });
    const last = items[items.length - 1];
    return {
      items: items.map((item) => strip(item) as LedgerEntry),
      ...(more && last
        ? { nextCursor: encodeCursor(byTime ? { sk: last.sk, lsi1sk: last.lsi1sk } : { sk: last.sk }) }
        : {}),
    };
  }

  /** Pages through a query until `limit` items pass the filter; `more` tells if any may follow. */
  private async collect(input: QueryCommandInput, limit: number, start?: Record<string, unknown>) {
    const items: Record<string, unknown>[] = [];
    let exclusiveStartKey = start;
    for (;;) {
      const page = await this.client.send(
        new QueryCommand({ ...input, Limit: limit + 1 - items.length, ExclusiveStartKey: exclusiveStartKey }),
      );
      items.push(...(page.Items ?? []));
      exclusiveStartKey = page.LastEvaluatedKey;
      if (items.length > limit) return { items: items.slice(0, limit), more: true };
      if (!exclusiveStartKey) return { items, more: false };
    }
  }

  async lastEntryAt(tenantId: string, memberId: string, at: string): Promise<LedgerEntry | null> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'byTime',
        KeyConditionExpression: 'pk = :pk AND lsi1sk <= :at',
        ExpressionAttributeValues: { ':pk': keys.memberPk(tenantId, memberId), ':at': `AT#${at}~` },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return Items?.[0] ? (strip(Items[0]) as LedgerEntry) : null;
  }

  async listMembers(
    tenantId: string,
    query: { limit: number; cursor?: string; status?: MemberStatus },
  ): Promise<Page<MemberProfile>> {
    const after = query.cursor ? (decodeCursor(query.cursor, ['memberId']).memberId as string) : undefined;
    // Each shard is ordered by member id (creation order); merging the shards' heads gives one order.
    const shards = await Promise.all(
      Array.from({ length: MEMBER_LIST_SHARDS }, (_, shard) =>
        this.collect(
          {
            TableName: this.tableName,
            IndexName: 'members',
            KeyConditionExpression: after ? 'gsi1pk = :pk AND gsi1sk > :after' : 'gsi1pk = :pk',
            ExpressionAttributeValues: {
              ':pk': keys.memberListShard(tenantId, shard),
              ...(after ? { ':after': after } : {}),
              ...(query.status ? { ':status': query.status } : {}),
            },
            ...(query.status
              ? { FilterExpression: '#status = :status', ExpressionAttributeNames: { '#status': 'status' } }
              : {}),
          },
          query.limit,
        ),
      ),
    );
    const merged = shards
      .flatMap((shard) => shard.items)
      .sort((a, b) => ((a.gsi1sk as string) < (b.gsi1sk as string) ? -1 : 1));
    const items = merged.slice(0, query.limit);
    const more = merged.length > query.limit || shards.some((shard) => shard.more);
    const last = items[items.length - 1];
    return {
      items: items.map((item) => strip(item) as MemberProfile),
      ...(more && last ? { nextCursor: encodeCursor({ memberId: last.gsi1sk }) } : {}),
    };
  }

  async listDue(shard: number, now: string, limit: number) {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'due',
        KeyConditionExpression: 'duePk = :pk AND dueAt <= :now',
        ExpressionAttributeValues: { ':pk': keys.dueShard(shard), ':now': now },
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => keys.parseMemberPk(item.pk as string)).filter((member) => member !== null);
  }

  async saveIdempotencyRecord(record: IdempotencyRecord): Promise<boolean> {
    return applied(
      this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: idempotencyItem(record),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  async takeTicket(tenantId: string, memberId: string): Promise<number> {
    const now = this.clock.now();
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.queue(tenantId, memberId),
        // An idle queue item expires a day after its last ticket (TTL).
        UpdateExpression:
          'ADD nextTicket :one ' +
          'SET nowServing = if_not_exists(nowServing, :one), servedAt = if_not_exists(servedAt, :now), ' +
          '#ttl = :ttl, kind = :kind',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':one': 1,
          ':now': now.toISOString(),
          ':ttl': ttlEpochSeconds(now.getTime(), 86_400),
          ':kind': 'queue',
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return required(Attributes, 'the queue ticket').nextTicket as number;
  }

  async queueState(tenantId: string, memberId: string) {
    const { pk, sk } = keys.balance(tenantId, memberId);
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :balance)',
        ExpressionAttributeValues: { ':pk': pk, ':balance': sk },
        ConsistentRead: true,
      }),
    );
    const balance = Items.find((item) => item.sk === sk);
    const queue = Items.find((item) => item.sk === keys.queue(tenantId, memberId).sk);
    return {
      nowServing: (queue?.nowServing as number | undefined) ?? 1,
      servedAt: (queue?.servedAt as string | undefined) ?? this.clock.now().toISOString(),
      balance: balance ? balanceFromItem(balance) : null,
    };
  }

  async advanceQueue(tenantId: string, memberId: string, ticket: number): Promise<void> {
    // A failed condition: someone already moved the queue on (this turn was skipped), nothing to hand over.
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.queue(tenantId, memberId),
          UpdateExpression: 'SET nowServing = :next, servedAt = :now',
          ConditionExpression: 'nowServing = :ticket',
          ExpressionAttributeValues: { ':next': ticket + 1, ':now': this.clock.now().toISOString(), ':ticket': ticket },
        }),
      ),
    );
  }

  async getRedemption(tenantId: string, memberId: string, seq: number): Promise<Redemption | null> {
    const item = await this.get(keys.redemption(tenantId, memberId, seq));
    return item ? (strip(item) as Redemption) : null;
  }

  async listRedemptions(
    tenantId: string,
    memberId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<Redemption>> {
    const pk = keys.memberPk(tenantId, memberId);
    const start = query.cursor ? { pk, ...decodeCursor(query.cursor, ['sk']) } : undefined;
    const { items, more } = await this.collect(
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': keys.redemptionPrefix },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      query.limit,
      start,
    );
    const last = items[items.length - 1];
    return {
      items: items.map((item) => strip(item) as Redemption),
      ...(more && last ? { nextCursor: encodeCursor({ sk: last.sk }) } : {}),
    };
  }

  async accountBalances(tenantId: string, account: AccountRef, options = { consistent: true }): Promise<number[]> {
    const shardKeys = Array.from({ length: ACCOUNT_SHARDS }, (_, shard) => keys.accountShard(tenantId, account, shard));
    const items = await this.batchGet(shardKeys, options.consistent);
    // A shard never credited has no item: it holds nothing.
    return shardKeys.map((key) => (items.find((item) => item.pk === key.pk)?.balance as number | undefined) ?? 0);
  }

  async rebalance(
    tenantId: string,
    account: AccountRef,
    plan: { target: number; moves: { from: number; points: number }[] },
  ): Promise<boolean> {
    if (plan.moves.length === 0) return true;
    const shard = (n: number) => keys.accountShard(tenantId, account, n);
    const moved = plan.moves.reduce((sum, move) => sum + move.points, 0);
    const cancelled = await transactWrite(this.client, [
      accountUpdate(this.tableName, shard(plan.target), moved),
      ...plan.moves.map((move) => accountUpdate(this.tableName, shard(move.from), -move.points)),
    ]);
    return cancelled === null;
  }

  async poolCodes(tenantId: string, rewardId: string, shard: number, limit: number): Promise<string[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.voucherPool(tenantId, rewardId, shard) },
        Limit: limit,
      }),
    );
    return Items.map((item) => item.code as string);
  }

  /**
   * One TransactWriteItems: a check that the member's balance exists and is not erased (the balance is not written,
   * so history never races live commands), the line (new only) and its idempotency record (new only).
   */
  async commitHistoryLine(line: HistoryLine, record: IdempotencyRecord): Promise<'ok' | 'idempotency' | 'member'> {
    const TableName = this.tableName;
    const { tenantId, memberId, occurredAt, transactionId } = line;
    const cancelled = await transactWrite(this.client, [
      {
        ConditionCheck: {
          TableName,
          Key: keys.balance(tenantId, memberId),
          ConditionExpression: 'attribute_exists(pk) AND #status <> :erased',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':erased': 'erased' },
        },
      },
      {
        Put: {
          TableName,
          Item: { ...keys.historyLine(tenantId, memberId, occurredAt, transactionId), kind: 'history', ...line },
          ConditionExpression: NEW_ITEM,
        },
      },
      { Put: { TableName, Item: idempotencyItem(record), ConditionExpression: NEW_ITEM } },
    ]);
    if (!cancelled) return 'ok';
    if (cancelled.conditionFailedAt(0)) return 'member';
    // The line's key is its member, time and id, and its record's key the member and id: a taken line means a taken
    // record (or one being written by a concurrent duplicate), which the replay sorts out.
    if (cancelled.conditionFailedAt(2) || cancelled.conditionFailedAt(1)) return 'idempotency';
    if (cancelled.conflicted) throw new Error('A concurrent write touched the history line; retry it');
    throw cancelled.error;
  }

  async listHistory(
    tenantId: string,
    memberId: string,
    query: { limit: number; cursor?: string; order: 'asc' | 'desc' },
  ): Promise<Page<HistoryLine>> {
    const pk = keys.memberPk(tenantId, memberId);
    const start = query.cursor ? { pk, ...decodeCursor(query.cursor, ['sk']) } : undefined;
    const { items, more } = await this.collect(
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': keys.historyPrefix },
        ScanIndexForward: query.order === 'asc',
        ConsistentRead: true,
      },
      query.limit,
      start,
    );
    const last = items[items.length - 1];
    return {
      items: items.map((item) => strip(item) as HistoryLine),
      ...(more && last ? { nextCursor: encodeCursor({ sk: last.sk }) } : {}),
    };
  }

  async commit(mutation: Mutation, record: IdempotencyRecord | null): Promise<CommitResult> {
    const actions = this.mutationActions(mutation);
    if (record) {
      actions.push({
        conflict: 'idempotency',
        action: { Put: { TableName: this.tableName, Item: idempotencyItem(record), ConditionExpression: NEW_ITEM } },
      });
    }
    const cancelled = await transactWrite(
      this.client,
      actions.map(({ action }) => action as never),
    );
    if (!cancelled) return { ok: true };
    // The idempotency record wins: a concurrent duplicate must replay, not re-plan.
    const failed = cancelled
      .failedConditions()
      .map((index) => actions[index]?.conflict)
      .filter((c): c is Conflict => c !== undefined);
    if (failed.includes('idempotency')) return { ok: false, conflict: 'idempotency' };
    if (failed.length > 0) {
      const current = this.winner(cancelled, mutation.expectedVersion === null);
      return { ok: false, conflict: required(failed[0], 'the first conflict'), ...(current ? { current } : {}) };
    }
    // TransactionConflict: another transaction touched the same items; plan again.
    if (cancelled.conflicted) return { ok: false, conflict: 'version' };
    throw cancelled.error;
  }

  /**
   * Commits a member's group in one TransactWriteItems: the merged change (or, for a group of refusals
   * alone, a check that the balance is still the one they were decided on) and every command's
   * idempotency record. Taken keys are named, so only their commands replay and the rest commit again.
   */
  async commitGroup(group: CommitGroup): Promise<GroupCommitResult> {
    const { tenantId, memberId, mutation, records } = group;
    const TableName = this.tableName;
    const actions: { conflict: Conflict; action: TransactAction }[] = mutation
      ? this.mutationActions(mutation)
      : [
          {
            conflict: 'version',
            action: {
              ConditionCheck: {
                TableName,
                Key: keys.balance(tenantId, memberId),
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': group.expectedVersion },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          },
        ];
    const firstRecord = actions.length;
    for (const record of records) {
      actions.push({
        conflict: 'idempotency',
        action: { Put: { TableName, Item: idempotencyItem(record), ConditionExpression: NEW_ITEM } },
      });
    }
    const cancelled = await transactWrite(
      this.client,
      actions.map(({ action }) => action as never),
    );
    if (!cancelled) return { ok: true };
    const failed = cancelled.failedConditions();
    const taken = records.filter((_, i) => failed.includes(firstRecord + i)).map((record) => record.key);
    if (taken.length > 0) return { ok: false, conflict: 'idempotency', keys: taken };
    if (failed.length > 0 || cancelled.conflicted) {
      const current = this.winner(cancelled, false);
      return { ok: false, conflict: 'version', ...(current ? { current } : {}) };
    }
    throw cancelled.error;
  }

  /** The balance a lost race returned with its cancellation (the first action's old item). */
  private winner(cancelled: CancelledTransaction, create: boolean): Balance | undefined {
    const item = cancelled.conditionFailedAt(0) ? cancelled.reasons[0]?.Item : undefined;
    return item && !create ? balanceFromItem(unmarshall(item)) : undefined;
  }

  /** The actions that write a mutation, the balance first (its old item comes back when its version lost). */
  private mutationActions(mutation: Mutation): { conflict: Conflict; action: TransactAction }[] {
    const { tenantId, memberId } = mutation;
    const TableName = this.tableName;
    const actions: { conflict: Conflict; action: TransactAction }[] = [];
    const ifAbsent = { ConditionExpression: NEW_ITEM };
    const create = mutation.expectedVersion === null;

    actions.push({
      conflict: create ? 'member' : 'version',
      action: {
        Put: {
          TableName,
          Item: balanceItem(mutation.balance),
          ...(create
            ? ifAbsent
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': mutation.expectedVersion },
                // On a lost race the winner's balance comes back with the error: re-plan without a read.
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              }),
        },
      },
    });
    if (mutation.profile) {
      const { value, create: createProfile } = mutation.profile;
      actions.push({
        conflict: 'member',
        action: {
          Put: {
            TableName,
            Item: {
              ...keys.profile(tenantId, memberId),
              kind: 'profile',
              ...keys.memberListKeys(tenantId, memberId),
              ...value,
            },
            ...(createProfile ? ifAbsent : {}),
          },
        },
      });
    }
    if (mutation.externalId && 'claim' in mutation.externalId) {
      actions.push({
        conflict: 'externalId',
        action: {
          Put: {
            TableName,
            Item: { ...keys.externalId(tenantId, mutation.externalId.claim), kind: 'externalId', memberId },
            ...ifAbsent,
          },
        },
      });
    }
    if (mutation.externalId && 'release' in mutation.externalId) {
      actions.push({
        conflict: 'version',
        action: { Delete: { TableName, Key: keys.externalId(tenantId, mutation.externalId.release) } },
      });
    }
    if (mutation.transactionClaim) {
      actions.push({
        conflict: 'transaction',
        action: {
          Put: {
            TableName,
            Item: { ...keys.transaction(tenantId, mutation.transactionClaim), kind: 'transaction', memberId },
            ...ifAbsent,
          },
        },
      });
    }
    for (const entry of mutation.entries) {
      actions.push({
        conflict: 'version',
        action: {
          Put: {
            TableName,
            Item: {
              ...keys.entry(tenantId, memberId, entry.seq),
              kind: 'entry',
              lsi1sk: keys.entryTime(entry.createdAt, entry.seq),
              ...entry,
            },
            ...ifAbsent,
          },
        },
      });
    }
    for (const state of mutation.entryStates) {
      actions.push({
        conflict: 'version',
        action: {
          Put: { TableName, Item: { ...keys.entryState(tenantId, memberId, state.seq), kind: 'entryState', ...state } },
        },
      });
    }
    for (const event of mutation.events) {
      actions.push({
        conflict: 'version',
        action: { Put: { TableName, Item: outboxItem(keys.event(tenantId, memberId, event.seq), event), ...ifAbsent } },
      });
    }
    for (const redemption of mutation.redemptions ?? []) {
      actions.push({
        conflict: 'version',
        action: {
          Put: {
            TableName,
            Item: { ...keys.redemption(tenantId, memberId, redemption.seq), kind: 'redemption', ...redemption },
          },
        },
      });
    }
    for (const change of mutation.accounts ?? []) {
      // Only a debit has a condition: a shard that cannot give it (or has no item) cancels the commit.
      actions.push({
        conflict: change.delta < 0 ? change.account.kind : 'version',
        action: accountUpdate(TableName, keys.accountShard(tenantId, change.account, change.shard), change.delta),
      });
    }
    if (mutation.voucher) {
      const voucher = mutation.voucher;
      const taken = 'claim' in voucher;
      const { rewardId, code, redemptionId } = taken ? voucher.claim : voucher.void;
      if (taken) {
        const Key = {
          pk: keys.voucherPool(tenantId, rewardId, keys.voucherShardOf(code, ACCOUNT_SHARDS)),
          sk: keys.voucherPoolSk(code),
        };
        actions.push({
          conflict: 'voucher',
          action: { Delete: { TableName, Key, ConditionExpression: 'attribute_exists(pk)' } },
        });
      }
      actions.push({
        conflict: 'version',
        action: {
          Update: {
            TableName,
            Key: keys.voucherCode(tenantId, rewardId, code),
            UpdateExpression: 'SET #state = :state, memberId = :member, redemptionId = :redemption, changedAt = :at',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':state': taken ? 'issued' : 'void',
              ':member': memberId,
              ':redemption': redemptionId,
              ':at': mutation.balance.updatedAt,
            },
          },
        },
      });
    }
    return actions;
  }
}
