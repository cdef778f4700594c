import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoLedgerStore } from '../../functions/adapters/dynamo-ledger-store';
import { planEarn, planEnrol } from '../../functions/domain/ledger';
import { programmeSettings } from '../../functions/domain/programme';
import type { IdempotencyRecord } from '../../functions/domain/ports';
import { table } from '../../functions/declaration/topology';
import { dynamoItemSizeBytes } from '../support/dynamo-item-size';

const ddb = mockClient(DynamoDBDocumentClient);
const now = new Date('2026-11-21T10:00:00Z');
const record: IdempotencyRecord = {
  tenantId: 't1',
  key: 'k',
  requestHash: 'h',
  statusCode: 201,
  body: '{}',
  createdAt: now.toISOString(),
};

describe('DynamoLedgerStore.commit', () => {
  const store = new DynamoLedgerStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    'ledger',
  );
  const enrolled = planEnrol('t1', { externalId: 'e1' }, now);
  const earn = planEarn(
    enrolled.balance,
    { amountPoints: 50, reason: 'r', idempotencyKey: 'k' },
    now,
    programmeSettings.parse({}),
  );

  beforeEach(() => ddb.reset());

  it('writes balance (version-checked), entry, outbox event and idempotency record in one transaction', async () => {
    // Prepare
    ddb.on(TransactWriteCommand).resolves({});

    // Act
    const result = await store.commit(earn, record);

    // Assess
    expect(result).toEqual({ ok: true });
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
    expect(items.map((i) => i.Put!.Item!.kind)).toEqual(['balance', 'entry', 'event', 'idempotency']);
    expect(items[0]!.Put).toMatchObject({
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': 1 },
    });
    expect(items[1]!.Put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { sk: 'ENTRY#000000000002', amountPoints: 50, lsi1sk: `AT#${now.toISOString()}#000000000002` },
    });
    // Nothing is due (no expiry, no hold): the balance stays out of the sparse due index.
    expect(items[0]!.Put!.Item).not.toHaveProperty('dueAt');
    expect(items[0]!.Put!.Item).not.toHaveProperty('duePk');
    expect(items[2]!.Put!.Item).toMatchObject({
      sk: 'EVENT#000000000002',
      type: 'points.earned',
      seq: 2,
      tenantId: 't1',
    });
    expect(items[3]!.Put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: { pk: 'TENANT#t1#IDEM#k' },
    });
  });

  it('reports an idempotency conflict ahead of any other, so a concurrent duplicate replays', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [
          { Code: 'ConditionalCheckFailed' },
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed' },
        ],
      }),
    );
    expect(await store.commit(earn, record)).toEqual({ ok: false, conflict: 'idempotency' });
  });

  it('reports a version conflict when only the balance condition failed', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'c',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }],
      }),
    );
    expect(await store.commit(earn, record)).toEqual({ ok: false, conflict: 'version' });
  });

  it('reports a taken external id on enrolment', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'c',
        $metadata: {},
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed' },
          { Code: 'None' },
          { Code: 'None' },
        ],
      }),
    );
    expect(await store.commit(enrolled, record)).toEqual({ ok: false, conflict: 'externalId' });
  });

  it('rethrows anything that is not a condition failure', async () => {
    ddb.on(TransactWriteCommand).rejects(new Error('throttled'));
    await expect(store.commit(earn, record)).rejects.toThrow('throttled');
  });
});

describe("a member's partition (item collection) under the byTime local index", () => {
  /** A local secondary index caps a partition key's items and index entries at 10 GB. */
  const ITEM_COLLECTION_BYTES = 10 * 1024 ** 3;
  /** DynamoDB's overhead per local-index entry. */
  const INDEX_ENTRY_OVERHEAD_BYTES = 100;

  it('holds at least a million ledger entries, with the largest reason and source the API takes', async () => {
    // Prepare: an earning with every text at its schema maximum
    const store = new DynamoLedgerStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
      'ledger',
    );
    const enrolled = planEnrol('t1', { externalId: 'e'.repeat(128) }, now);
    const earn = planEarn(
      enrolled.balance,
      {
        amountPoints: 1_000_000_000,
        reason: 'r'.repeat(200),
        source: 's'.repeat(64),
        transactionId: 't'.repeat(128),
        idempotencyKey: 'k',
      },
      now,
      programmeSettings.parse({}),
    );
    ddb.reset();
    ddb.on(TransactWriteCommand).resolves({});
    await store.commit(earn, record);
    const items = ddb.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!.map((i) => i.Put!.Item!);
    const entry = items.find((item) => item.kind === 'entry')!;
    const event = items.find((item) => item.kind === 'event')!;

    // Act: each entry is stored twice (the index projects ALL); events leave after their retention
    const entryBytes = dynamoItemSizeBytes(entry);
    const perEntryBytes = 2 * entryBytes + INDEX_ENTRY_OVERHEAD_BYTES;
    const eventBytes = dynamoItemSizeBytes(event);
    const entriesPerMember = Math.floor(ITEM_COLLECTION_BYTES / (perEntryBytes + eventBytes));

    // Assess
    console.log(
      `member partition: entry ${entryBytes} B (+ its byTime copy), event ${eventBytes} B for ` +
        `${table.outboxRetentionDays} days: ` +
        `about ${entriesPerMember.toLocaleString('en')} entries fit in 10 GB even if every entry's event were still ` +
        `there`,
    );
    expect(entriesPerMember).toBeGreaterThanOrEqual(1_000_000);
  });
});
