import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { SqsCommandQueue } from '../../functions/adapters/sqs-command-queue';
import type { QueuedCommand } from '../../functions/domain/batch-service';

const sqs = mockClient(SQSClient);

const message = (group: number, n: number, bytes = 100): QueuedCommand => ({
  groupId: `m-${group}`,
  deduplicationId: `d-${group}-${n}`,
  body: JSON.stringify({ group, n, pad: 'x'.repeat(bytes) }),
});

describe('SqsCommandQueue', () => {
  beforeEach(() => sqs.reset());

  it('sends each group in order, 10 entries and 250 KiB a call at most, with group and deduplication ids', async () => {
    // Prepare: 30 groups of 5, interleaved as a batch would list them, some large.
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const messages = Array.from({ length: 5 }, (_, n) =>
      Array.from({ length: 30 }, (_, group) => message(group, n, group % 7 === 0 ? 60_000 : 100)),
    ).flat();

    // Act
    await new SqsCommandQueue(new SQSClient({}), 'https://queue').send(messages);

    // Assess
    const calls = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    const entries = calls.flatMap((input) => input.Entries ?? []);
    expect(entries).toHaveLength(messages.length);
    for (const input of calls) {
      expect(input.Entries!.length).toBeLessThanOrEqual(10);
      expect(input.Entries!.reduce((sum, e) => sum + Buffer.byteLength(e.MessageBody!), 0)).toBeLessThanOrEqual(
        250 * 1024,
      );
    }
    for (let group = 0; group < 30; group++) {
      const sent = entries.filter((e) => e.MessageGroupId === `m-${group}`);
      expect(sent.map((e) => (JSON.parse(e.MessageBody!) as { n: number }).n)).toEqual([0, 1, 2, 3, 4]);
      expect(sent.map((e) => e.MessageDeduplicationId)).toEqual([0, 1, 2, 3, 4].map((n) => `d-${group}-${n}`));
    }
  });

  it('fails the send when SQS refuses an entry, so the request is retried under its key', async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: '0', Code: 'InternalError', SenderFault: false }] });

    // Act
    const sending = new SqsCommandQueue(new SQSClient({}), 'https://queue').send([message(1, 0)]);

    // Assess
    await expect(sending).rejects.toThrow(/refused 1 commands: InternalError/);
  });
});
