import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { SqsTrigger } from '../functions/declaration/topology';
import { REGION } from './aws-local';
import { required } from '../functions/shared/required';

export interface SqsEventSourceOptions {
  mapping: string;
  queueUrl: string;
  queueArn: string;
  /** The trigger's batching and concurrency (a declared trigger, or a mapping made at run time). */
  trigger: Pick<SqsTrigger, 'batchSize' | 'maxConcurrency'>;
  client: SQSClient;
  invoke: (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;
  /** Concurrent pollers; Lambda scales up to the mapping's maxConcurrency. */
  pollers?: number;
  /**
   * FIFO queues: in flight (received, not deleted, still invisible) at most this many messages of
   * the queue; at the cap a receive returns nothing, for every group, as SQS does at 120,000.
   */
  inFlightCap?: number;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

/** The longest the source goes without reading its queue's in-flight count (when it enforces a cap). */
const IN_FLIGHT_READ_INTERVAL_MS = 1_000;

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: required(message.MessageId, 'ReceiveMessage message id'),
    receiptHandle: required(message.ReceiptHandle, 'ReceiveMessage receipt handle'),
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.MessageGroupId ? { MessageGroupId: attributes.MessageGroupId } : {}),
      ...(attributes.MessageDeduplicationId ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      ...(attributes.SequenceNumber ? { SequenceNumber: attributes.SequenceNumber } : {}),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: REGION,
  };
}

/**
 * A Lambda event-source mapping for SQS: long-polls, invokes with up to `batchSize` messages,
 * deletes what succeeded and leaves reported failures (or the whole batch, on an error) to
 * reappear after the visibility timeout; the queue's redrive policy moves them to the DLQ.
 */
export class SqsEventSource {
  private running = false;
  private loops: Promise<void>[] = [];
  /** Pollers take turns to check the in-flight count and receive, so together they never pass the cap. */
  private receiving: Promise<unknown> = Promise.resolve();
  /**
   * The queue's in-flight count as last read plus what this source received since, and when it was read. Only
   * the mapping receives from its queue, so the true count grows by its receives alone and stays at or below
   * this bound: while the bound leaves room for a whole receive, the count need not be read again (at most
   * once a second), which spares every receive a round trip to the queue.
   */
  private inFlight?: { bound: number; readAt: number };

  constructor(private readonly options: SqsEventSourceOptions) {}

  start(): void {
    this.running = true;
    const pollers = Math.max(1, Math.min(this.options.pollers ?? 2, this.options.trigger.maxConcurrency));
    this.loops = Array.from({ length: pollers }, () => this.poll());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled(this.loops);
  }

  private async poll(): Promise<void> {
    const { trigger } = this.options;
    while (this.running) {
      let messages: Message[];
      try {
        const turn = this.receiving.then(() => this.receive(Math.min(10, trigger.batchSize)));
        this.receiving = turn.catch(() => undefined);
        const received = await turn;
        if (received === 'capped') {
          await sleep(200);
          continue;
        }
        messages = received;
      } catch (error) {
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- stop() may clear it during the awaits
        if (this.running) this.options.log?.('ReceiveMessage failed', { error: (error as Error).message });
        await sleep(500);
        continue;
      }
      if (messages.length === 0) continue;
      await this.process(messages);
    }
  }

  /** One receive, or `capped` when the queue's in-flight count has reached the cap (fauxqs itself has none). */
  private async receive(max: number): Promise<Message[] | 'capped'> {
    const { client, queueUrl, inFlightCap } = this.options;
    let room = max;
    if (inFlightCap !== undefined) {
      const known = this.inFlight;
      if (!known || known.bound + max > inFlightCap || Date.now() - known.readAt >= IN_FLIGHT_READ_INTERVAL_MS) {
        const { Attributes } = await client.send(
          new GetQueueAttributesCommand({
            QueueUrl: queueUrl,
            AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        this.inFlight = { bound: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0), readAt: Date.now() };
      }
      room = Math.min(max, inFlightCap - required(this.inFlight, 'in-flight count').bound);
      if (room <= 0) return 'capped';
    }
    const result = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: room,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (this.inFlight) this.inFlight.bound += result.Messages?.length ?? 0;
    return result.Messages ?? [];
  }

  private async process(messages: Message[]): Promise<void> {
    const records = messages.map((m) => toRecord(m, this.options.queueArn));
    let failed = new Set<string>();
    try {
      const response = await this.options.invoke({ Records: records });
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      // An identifier that names no message of the batch fails the whole batch.
      if ([...failed].some((id) => !records.some((r) => r.messageId === id)))
        failed = new Set(records.map((r) => r.messageId));
    } catch (error) {
      this.options.log?.('SQS batch failed', { mapping: this.options.mapping, error: (error as Error).message });
      failed = new Set(records.map((r) => r.messageId));
    }
    const done = records.filter((r) => !failed.has(r.messageId));
    if (done.length > 0) {
      await this.options.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: done.map((r, index) => ({ Id: String(index), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
  }
}
