import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { logger } from './logger';

/** A message that may not be handled yet: it stays on the queue, invisible for this long. */
export interface Wait {
  waitSeconds: number;
}

/** A visibility change to apply to a received message (ChangeMessageVisibility). */
export interface VisibilityChange {
  receiptHandle: string;
  messageId: string;
  seconds: number;
}

export interface FifoBatchResult extends SQSBatchResponse {
  /** Apply these in order: the waiting head of a group first, then the rest of the group, last first. */
  visibility: VisibilityChange[];
}

/**
 * Processes an SQS FIFO batch with order kept per message group: groups run concurrently,
 * messages of one group run in order, and the first message that fails or must wait holds back
 * the rest of its group only. Other groups (other members, other endpoints) keep flowing.
 *
 * Held-back messages are made visible again at once (their group stays locked while its head is
 * in flight), so the head's own wait decides when the group moves: its retry delay, not the
 * queue's visibility timeout. When `remainingMs` says the invocation is nearly out of time, the
 * messages not started are handed back untouched.
 * @example const result = await processFifoBatch(event.Records, (record) => deliver(record));
 */
export async function processFifoBatch(
  records: SQSRecord[],
  // A handler that only does its work (Promise<void>) reads as "done", as one that answers undefined.
  handle: (record: SQSRecord) => Promise<Wait | undefined> | Promise<void>,
  options: { remainingMs?: () => number; reserveMs?: number } = {},
): Promise<FifoBatchResult> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    const list = groups.get(group) ?? [];
    list.push(record);
    groups.set(group, list);
  }
  const failures: string[] = [];
  const heads: VisibilityChange[] = [];
  const rest: VisibilityChange[] = [];
  const release = (records: SQSRecord[]) => {
    for (const record of records) failures.push(record.messageId);
    rest.push(
      ...records.map((r) => ({ receiptHandle: r.receiptHandle, messageId: r.messageId, seconds: 0 })).reverse(),
    );
  };
  await Promise.all(
    [...groups.values()].map(async (groupRecords) => {
      for (const [i, record] of groupRecords.entries()) {
        if (options.remainingMs && options.remainingMs() < (options.reserveMs ?? 0)) {
          release(groupRecords.slice(i));
          return;
        }
        let outcome: Wait | undefined;
        try {
          outcome = (await handle(record)) ?? undefined;
        } catch (error) {
          logger.warn('Message failed; holding back the rest of its group', {
            messageId: record.messageId,
            group: record.attributes.MessageGroupId,
            error: (error as Error).message,
          });
          failures.push(record.messageId);
          release(groupRecords.slice(i + 1));
          return;
        }
        if (outcome) {
          failures.push(record.messageId);
          heads.push({
            receiptHandle: record.receiptHandle,
            messageId: record.messageId,
            seconds: outcome.waitSeconds,
          });
          release(groupRecords.slice(i + 1));
          return;
        }
      }
    }),
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })), visibility: [...heads, ...rest] };
}
