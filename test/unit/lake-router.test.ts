import { FirehoseClient, PutRecordBatchCommand, ServiceUnavailableException } from '@aws-sdk/client-firehose';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../functions/handlers/lake-router';
import { resetConfigCache } from '../../functions/composition/config';

/** What the HTTP test against the Firehose stand-in cannot stage: a call that throws after an earlier one was taken. */
const firehose = mockClient(FirehoseClient);
/** The tenant has no lake settings: its events go as committed. */
const table = mockClient(DynamoDBDocumentClient);

beforeAll(() => {
  process.env.RAW_EVENTS_STREAM_NAME = 'raw-events';
  process.env.TABLE_NAME = 'loyalty';
  process.env.WEBHOOK_SECRETS_KEY = `local:${Buffer.alloc(32).toString('base64')}`;
  resetConfigCache();
});

beforeEach(() => {
  firehose.reset();
  table.reset();
  table.on(GetCommand).resolves({});
});

const records = (count: number): DynamoDBRecord[] =>
  Array.from({ length: count }, (_, i) => {
    const item = {
      pk: `T#t#M#m${i}`,
      sk: 'E#1',
      kind: 'event',
      id: `evt_${i}`,
      version: 1,
      tenantId: 't',
      memberId: `m${i}`,
      seq: 1,
      occurredAt: '2026-05-01T10:00:00.000Z',
      type: 'member.reactivated',
      data: { balance: { availablePoints: 0, pendingPoints: 0, lifetimePoints: 0, tier: 'base' } },
    };
    const dynamodb = { SequenceNumber: String(i + 1), NewImage: marshall(item) as never };
    return { eventName: 'INSERT', dynamodb };
  });

const slowDown = () => new ServiceUnavailableException({ message: 'Slow down.', $metadata: {} });

describe('lake router when Firehose throws', () => {
  it('reports the unsent chunk from its first record once an earlier chunk was taken', async () => {
    // Prepare: 600 events make two calls (500 + 100); the first is taken, the second throws every time.
    const taken = { FailedPutCount: 0, RequestResponses: [] };
    firehose.on(PutRecordBatchCommand).resolvesOnce(taken).rejects(slowDown());

    // Act
    const response = await handler({ Records: records(600) }, {} as never);

    // Assess: the stream retries from record 501 only; records 1-500 are not sent again.
    expect(response.batchItemFailures[0]).toEqual({ itemIdentifier: '501' });
    expect(response.batchItemFailures).toHaveLength(100);
    expect(firehose.commandCalls(PutRecordBatchCommand)[0]!.args[0].input.Records).toHaveLength(500);
  });

  it('fails the invocation when nothing was taken, so Lambda counts the error', async () => {
    // Prepare
    firehose.on(PutRecordBatchCommand).rejects(slowDown());

    // Act
    const outcome = handler({ Records: records(3) }, {} as never);

    // Assess
    await expect(outcome).rejects.toThrow('Slow down.');
  });
});
