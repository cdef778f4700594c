import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { balanceItem } from '../functions/adapters/dynamo-ledger-store';
import { keys } from '../functions/domain/keys';
import { planEarn, planEnrol } from '../functions/domain/ledger';
import { programmeSettings } from '../functions/domain/programme';
import { table } from '../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../local/aws-local';
import { pool } from './harness';

/**
 * The API's earn without the API: the same four items per change (balance, entry, event,
 * idempotency record) written straight to DynamoDB Local at the same concurrency, own members.
 * Gives the transactions per second.
 */
export async function rawTransactPerS(input: {
  endpoint: string;
  earns: number;
  members: number;
  concurrency: number;
  run: number;
}) {
  const documents = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: input.endpoint, region: REGION, credentials: CREDENTIALS }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const rawBalances = Array.from(
    { length: input.members },
    () => planEnrol('bench-raw', { externalId: 'x' }, new Date()).balance,
  );
  const rawStart = performance.now();
  try {
    await pool(input.earns, input.concurrency, async (i) => {
      const slot = i % input.members;
      // Each slot is written by one writer at a time (same contention profile as the API run).
      const current = rawBalances[slot]!;
      const plan = planEarn(
        current,
        { amountPoints: 10, reason: 'bench', idempotencyKey: `raw-${i}` },
        new Date(),
        programmeSettings.parse({}),
      );
      const [entry, event] = [plan.entries[0]!, plan.events[0]!];
      rawBalances[slot] = plan.balance;
      await documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: table.localName, Item: balanceItem(plan.balance) } },
            {
              Put: {
                TableName: table.localName,
                Item: {
                  ...keys.entry('bench-raw', current.memberId, entry.seq),
                  kind: 'entry',
                  lsi1sk: keys.entryTime(entry.createdAt, entry.seq),
                  ...entry,
                },
              },
            },
            {
              Put: {
                TableName: table.localName,
                Item: { ...keys.event('bench-raw', current.memberId, event.seq), kind: 'bench-event', ...event },
              },
            },
            {
              Put: {
                TableName: table.localName,
                Item: {
                  ...keys.idempotency('bench-raw', `raw-${input.run}-${i}`),
                  kind: 'idempotency',
                  requestHash: 'h',
                  statusCode: 201,
                  body: '{}',
                },
              },
            },
          ],
        }),
      );
    });
    return input.earns / ((performance.now() - rawStart) / 1000);
  } finally {
    documents.destroy();
  }
}
