import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { keys } from '../domain/keys';
import { subjectOf, type DeliveryMessage } from '../domain/webhooks/message';
import type { ParkedChain, ParkedChainRef } from '../domain/webhooks/parking';
import type { ParkingStore } from '../domain/webhooks/ports';
import { transactWrite } from './cancelled-transaction';
import { applied } from './conditional-write';
import { TTL_NAMES, ttlAfterDays } from '../shared/item-ttl';

/**
 * Waiting slots and parked chains of webhook endpoints, in the ledger table.
 *
 * Slots: at most `max` items per endpoint, each held by one message group (`holder`) until a
 * lease ends; claimed and released with conditional writes, so two workers never hold one slot.
 *
 * Chains: per endpoint and member, a marker (`head`, `tail`) and the parked messages at
 * `head ≤ seq < tail`, plus a guard per parked message (event and round), so a message that comes
 * back after a crash between its park and its deletion from the queue is not parked twice. A
 * non-empty chain's marker is in the `deliveries` index under the endpoint's `#PARKED` key, sorted
 * by when a sweep should next look at it.
 */
export class DynamoParkingStore implements ParkingStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly retentionDays: number,
  ) {}

  private async slots(
    tenantId: string,
    subscriptionId: string,
  ): Promise<{ slot: number; holder?: string; until?: string }[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.waitingSlotsPk(tenantId, subscriptionId) },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => ({
      slot: Number(String(item.sk).slice(5)),
      holder: item.holder as string | undefined,
      until: item.until as string | undefined,
    }));
  }

  /** How many slots are held now (for logs and tests). */
  async heldSlots(tenantId: string, subscriptionId: string, now: Date): Promise<number> {
    const at = now.toISOString();
    return (await this.slots(tenantId, subscriptionId)).filter((s) => s.holder && s.until && s.until > at).length;
  }

  /**
   * Holds (or renews) a slot for `holder` until `until`. False when all `max` slots are held by
   * others: the caller parks its message instead of keeping it in flight.
   */
  async claimSlot(
    tenantId: string,
    subscriptionId: string,
    holder: string,
    now: Date,
    until: Date,
    max: number,
  ): Promise<boolean> {
    const at = now.toISOString();
    const current = await this.slots(tenantId, subscriptionId);
    const mine = current.find((s) => s.holder === holder);
    const free = Array.from({ length: max }, (_, slot) => slot).filter((slot) => {
      const item = current.find((s) => s.slot === slot);
      return !item || !item.holder || !item.until || item.until <= at;
    });
    const candidates = mine ? [mine.slot, ...free] : free;
    for (const slot of candidates.slice(0, 4)) {
      const taken = await applied(
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.waitingSlot(tenantId, subscriptionId, slot),
            UpdateExpression: 'SET holder = :holder, #until = :until, kind = :kind',
            ConditionExpression: 'attribute_not_exists(holder) OR holder = :holder OR #until <= :now',
            ExpressionAttributeNames: { '#until': 'until' },
            ExpressionAttributeValues: {
              ':holder': holder,
              ':until': until.toISOString(),
              ':now': at,
              ':kind': 'waitingSlot',
            },
          }),
        ),
      );
      if (taken) return true;
    }
    return false;
  }

  /** Frees the slot `holder` holds; false when it held none. */
  async releaseSlot(tenantId: string, subscriptionId: string, holder: string): Promise<boolean> {
    const mine = (await this.slots(tenantId, subscriptionId)).find((s) => s.holder === holder);
    if (!mine) return false;
    return applied(
      this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.waitingSlot(tenantId, subscriptionId, mine.slot),
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      ),
    );
  }

  async chain(tenantId: string, subscriptionId: string, orderKey: string): Promise<ParkedChain | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: keys.parkedChainPk(tenantId, subscriptionId, orderKey), sk: keys.parkedChainSk },
        ConsistentRead: true,
      }),
    );
    return Item ? { head: Item.head as number, tail: Item.tail as number } : null;
  }

  /** The parked message at place `seq` of a chain, or null when it is gone (handled). */
  async item(tenantId: string, subscriptionId: string, orderKey: string, seq: number): Promise<DeliveryMessage | null> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: keys.parkedChainPk(tenantId, subscriptionId, orderKey), sk: keys.parkedItemSk(seq) },
        ConsistentRead: true,
      }),
    );
    return Item ? (Item.message as DeliveryMessage) : null;
  }

  /**
   * Parks a message at the tail of its member's chain, as read in `seen` (null: no chain yet).
   * `parked`: done; `already`: this message (event and round) is parked already (it came back
   * after a crash before its deletion from the queue); `changed`: the chain moved meanwhile, read
   * it again and decide again. `lookAt` orders a new chain for the sweep.
   */
  async park(
    message: DeliveryMessage,
    seen: ParkedChain | null,
    now: Date,
    lookAt: Date,
  ): Promise<'parked' | 'already' | 'changed'> {
    const { tenantId, subscriptionId } = message;
    const subject = subjectOf(message);
    const pk = keys.parkedChainPk(tenantId, subscriptionId, subject.orderingKey);
    const head = seen?.head ?? 0;
    const tail = seen?.tail ?? 0;
    const { parked: _wake, ...stored } = message;
    const empty = head === tail;
    const cancelled = await transactWrite(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: { pk, sk: keys.parkedChainSk },
          // A chain that was empty starts at the new item and enters the sweep's index.
          UpdateExpression:
            'SET head = :head, tail = :next, kind = :kind, tenantId = :tenant, subscriptionId = :sub, ' +
            'orderKey = :order' +
            (empty ? ', gsi2pk = :gsi2pk, gsi2sk = :gsi2sk' : '') +
            ' REMOVE #ttl',
          ConditionExpression: seen ? 'head = :head AND tail = :tail' : 'attribute_not_exists(pk)',
          ExpressionAttributeNames: TTL_NAMES,
          ExpressionAttributeValues: {
            ':head': head,
            ':next': tail + 1,
            ':kind': 'parkedChain',
            ':tenant': tenantId,
            ':sub': subscriptionId,
            ':order': subject.orderingKey,
            ...(seen ? { ':tail': tail } : {}),
            ...(empty
              ? {
                  ':gsi2pk': keys.endpointParked(tenantId, subscriptionId),
                  ':gsi2sk': `${lookAt.toISOString()}#${subject.orderingKey}`,
                }
              : {}),
          },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: {
            pk,
            sk: keys.parkedItemSk(tail),
            kind: 'parkedMessage',
            parkedAt: now.toISOString(),
            message: stored,
          },
        },
      },
      {
        Put: {
          TableName: this.tableName,
          Item: { pk, sk: keys.parkedGuardSk(subject.id, message.round), kind: 'parkedGuard', seq: tail },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    if (!cancelled) return 'parked';
    if (cancelled.conditionFailedAt(2)) return 'already';
    if (cancelled.conditionFailedAt(0)) return 'changed';
    throw cancelled.error;
  }

  /**
   * The chain's head (place `seq`) is handled: it leaves the chain. An emptied chain leaves the
   * sweep's index and expires after the retention period; otherwise the chain is not looked at
   * again before `lookAt` (its next head has just been woken). False when the head had moved on.
   */
  async consume(message: DeliveryMessage, seq: number, tail: number, now: Date, lookAt: Date): Promise<boolean> {
    const { tenantId, subscriptionId } = message;
    const subject = subjectOf(message);
    const pk = keys.parkedChainPk(tenantId, subscriptionId, subject.orderingKey);
    const emptied = seq + 1 >= tail;
    const cancelled = await transactWrite(this.client, [
      {
        Update: {
          TableName: this.tableName,
          Key: { pk, sk: keys.parkedChainSk },
          UpdateExpression: emptied
            ? 'SET head = :next, #ttl = :expires REMOVE gsi2pk, gsi2sk'
            : 'SET head = :next, gsi2sk = :gsi2sk',
          ConditionExpression: 'head = :seq AND tail = :tail',
          ...(emptied ? { ExpressionAttributeNames: TTL_NAMES } : {}),
          ExpressionAttributeValues: {
            ':next': seq + 1,
            ':seq': seq,
            ':tail': tail,
            ...(emptied
              ? { ':expires': ttlAfterDays(now, this.retentionDays) }
              : { ':gsi2sk': `${lookAt.toISOString()}#${subject.orderingKey}` }),
          },
        },
      },
      { Delete: { TableName: this.tableName, Key: { pk, sk: keys.parkedItemSk(seq) } } },
      { Delete: { TableName: this.tableName, Key: { pk, sk: keys.parkedGuardSk(subject.id, message.round) } } },
    ]);
    if (!cancelled) return true;
    if (cancelled.conditionFailedAt(0)) return false;
    throw cancelled.error;
  }

  /** When a sweep should next look at a non-empty chain (its head stays parked, or was just woken). */
  async lookAt(tenantId: string, subscriptionId: string, orderKey: string, at: Date): Promise<void> {
    await applied(
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: keys.parkedChainPk(tenantId, subscriptionId, orderKey), sk: keys.parkedChainSk },
          UpdateExpression: 'SET gsi2sk = :gsi2sk',
          ConditionExpression: 'head < tail',
          ExpressionAttributeValues: { ':gsi2sk': `${at.toISOString()}#${orderKey}` },
        }),
      ),
    );
  }

  /** An endpoint's non-empty chains, the longest unattended first (the index lags writes slightly). */
  async chains(tenantId: string, subscriptionId: string, limit: number): Promise<ParkedChainRef[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'deliveries',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.endpointParked(tenantId, subscriptionId) },
        ScanIndexForward: true,
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => ({
      orderKey: item.orderKey as string,
      head: item.head as number,
      tail: item.tail as number,
    }));
  }

  /** How many messages an endpoint has parked (every chain: for logs, tests and operators). */
  async parkedCount(tenantId: string, subscriptionId: string): Promise<{ chains: number; messages: number }> {
    let chains = 0;
    let messages = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'deliveries',
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.endpointParked(tenantId, subscriptionId) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        chains += 1;
        messages += (item.tail as number) - (item.head as number);
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { chains, messages };
  }
}
