import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { balanceFromItem, balanceItem } from '../functions/adapters/dynamo-ledger-store';
import { keys } from '../functions/domain/keys';
import { planEarn, planEnrol, type Balance } from '../functions/domain/ledger';
import { programmeSettings } from '../functions/domain/programme';
import { table } from '../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../local/aws-local';
import { pool } from './harness';

const TENANT = 'bench-raw';
const NEW_ITEM = 'attribute_not_exists(pk)';

/**
 * The API's earn without the API: the least DynamoDB work one earn needs, straight to DynamoDB
 * Local with its own members. `read` makes it one strongly consistent GetItem of the balance, then
 * one TransactWriteItems of the same four items the API writes (the balance, version-checked; the
 * entry, the event and the idempotency record, each new); without it, the transaction alone, planned
 * on the balance the member's previous earn left. `result` adds what a batch command writes after
 * its earn: its result item and the batch's counter, in one more transaction.
 */
export async function rawEarns(input: { endpoint: string; members: number; concurrency: number; run: number }) {
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: input.endpoint, region: REGION, credentials: CREDENTIALS }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const settings = programmeSettings.parse({});
  const balances: Balance[] = Array.from(
    { length: input.members },
    (_, i) => planEnrol(TENANT, { externalId: `raw-${input.run}-${i}` }, new Date(), settings).balance,
  );
  await pool(balances.length, input.concurrency, (i) =>
    documents.send(new PutCommand({ TableName: table.localName, Item: balanceItem(balances[i]!) })),
  );
  let calls = 0;
  /** Each member is written by one caller at a time (the API's lane per member does as much): calls queue. */
  const lanes: Promise<unknown>[] = balances.map(() => Promise.resolve());

  const earn = (i: number, read: boolean, result = false) => {
    const slot = i % input.members;
    const done = lanes[slot]!.then(() => earnOn(slot, read, result));
    lanes[slot] = done.catch(() => undefined);
    return done;
  };
  const earnOn = async (slot: number, read: boolean, result: boolean) => {
    const known = balances[slot]!;
    let current = known;
    if (read) {
      const { Item } = await documents.send(
        new GetCommand({
          TableName: table.localName,
          Key: keys.balance(TENANT, known.memberId),
          ConsistentRead: true,
        }),
      );
      if (!Item) throw new Error(`raw earn: no balance for ${known.memberId}`);
      current = balanceFromItem(Item);
    }
    const index = ++calls;
    const key = `raw-${input.run}-${index}`;
    const plan = planEarn(current, { amountPoints: 10, reason: 'bench', idempotencyKey: key }, new Date(), settings);
    const [entry, event] = [plan.entries[0]!, plan.events[0]!];
    await documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table.localName,
              Item: balanceItem(plan.balance),
              ConditionExpression: 'version = :expected',
              ExpressionAttributeValues: { ':expected': current.version },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Put: {
              TableName: table.localName,
              Item: {
                ...keys.entry(TENANT, current.memberId, entry.seq),
                kind: 'entry',
                lsi1sk: keys.entryTime(entry.createdAt, entry.seq),
                ...entry,
              },
              ConditionExpression: NEW_ITEM,
            },
          },
          {
            Put: {
              TableName: table.localName,
              // Not `event`: the twin's stream router would look for the raw tenant's subscriptions.
              Item: { ...keys.event(TENANT, current.memberId, event.seq), kind: 'bench-event', ...event },
              ConditionExpression: NEW_ITEM,
            },
          },
          {
            Put: {
              TableName: table.localName,
              Item: {
                ...keys.idempotency(TENANT, key),
                kind: 'idempotency',
                requestHash: 'h',
                statusCode: 201,
                body: '{}',
              },
              ConditionExpression: NEW_ITEM,
            },
          },
        ],
      }),
    );
    balances[slot] = plan.balance;
    if (result) await recordResult(index);
  };
  /** The batch whose results raw batch commands record (`result`). */
  const rawBatch = `bat_raw_${input.run}`;
  const recordResult = (index: number) =>
    documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table.localName,
              Item: { ...keys.batchResult(TENANT, rawBatch, index), kind: 'batchResult', index, statusCode: 201 },
              ConditionExpression: NEW_ITEM,
            },
          },
          {
            Update: {
              TableName: table.localName,
              Key: keys.batch(TENANT, rawBatch),
              UpdateExpression: 'ADD succeeded :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );

  return {
    /** `count` earns with `concurrency` in flight; gives earns per second. */
    async saturated(count: number, options: { read: boolean; result?: boolean }): Promise<number> {
      const start = performance.now();
      await pool(count, input.concurrency, (i) => earn(i, options.read, options.result));
      return count / ((performance.now() - start) / 1000);
    },
    /** One earn with its read, for the paced run (the caller keeps to one call per member at a time). */
    earn: (i: number) => earn(i, true),
    close: () => {
      documents.destroy();
    },
  };
}
