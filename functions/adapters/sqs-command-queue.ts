import { createHash } from 'node:crypto';
import { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CommandQueue, QueuedCommand } from '../domain/batch-service';
import type { VisibilityChange } from '../shared/fifo-batch';
import { logger } from '../shared/logger';

/** SendMessageBatch takes 10 entries and 256 KiB a call; a little room is kept for the call's own overhead. */
const ENTRIES_PER_CALL = 10;
const BYTES_PER_CALL = 250 * 1024;
/** Calls in flight at once: one lane each, a message group always in the same lane. */
const LANES = 10;

const laneOf = (groupId: string) => createHash('sha1').update(groupId).digest().readUInt32BE(0) % LANES;

/** Consecutive runs of messages that fit one SendMessageBatch call. */
function calls(messages: QueuedCommand[]): QueuedCommand[][] {
  const out: QueuedCommand[][] = [];
  let current: QueuedCommand[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body);
    if (current.length === ENTRIES_PER_CALL || (current.length > 0 && bytes + size > BYTES_PER_CALL)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * The FIFO command queue of batches. Messages are spread over lanes by group, each lane sending its calls one after
 * another, so a member's commands reach the queue in order while lanes run side by side (a batch of 500 takes
 * about 5 round trips). A refused entry fails the whole send: the caller retries the request, and FIFO
 * deduplication drops what did arrive.
 */
export class SqsCommandQueue implements CommandQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(messages: QueuedCommand[]): Promise<void> {
    const lanes = Array.from({ length: LANES }, () => [] as QueuedCommand[]);
    for (const message of messages) lanes[laneOf(message.groupId)]?.push(message);
    await Promise.all(
      lanes.map(async (lane) => {
        for (const call of calls(lane)) {
          const result = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: call.map((message, index) => ({
                Id: String(index),
                MessageBody: message.body,
                MessageGroupId: message.groupId,
                MessageDeduplicationId: message.deduplicationId,
              })),
            }),
          );
          if (result.Failed?.length)
            throw new Error(
              `SQS refused ${result.Failed.length} commands: ${result.Failed.map((f) => f.Code).join(', ')}`,
            );
        }
      }),
    );
  }
}

/**
 * Applies a FIFO batch's visibility changes on the command queue (a retried command's wait, the rest of its group
 * handed back at once), 10 a call. A change that fails only means the message returns after the queue's visibility
 * timeout instead, so failures are logged, never thrown.
 */
export async function changeVisibility(
  client: SQSClient,
  queueUrl: string,
  changes: VisibilityChange[],
): Promise<void> {
  for (let i = 0; i < changes.length; i += ENTRIES_PER_CALL) {
    try {
      const result = await client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: changes.slice(i, i + ENTRIES_PER_CALL).map((change, index) => ({
            Id: String(index),
            ReceiptHandle: change.receiptHandle,
            VisibilityTimeout: change.seconds,
          })),
        }),
      );
      if (result.Failed?.length)
        logger.warn('Some visibility changes failed', { failed: result.Failed.map((f) => f.Code) });
    } catch (error) {
      logger.warn('Visibility changes failed; messages return after the visibility timeout', { error: error as Error });
    }
  }
}
