import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { logger } from './logger';

/**
 * Processes an SQS FIFO batch with order kept per message group: groups run concurrently,
 * messages of one group run in order, and the first failure in a group fails the rest of that
 * group only. Other groups (other members, other endpoints) keep flowing.
 * @example return processFifoBatch(event.Records, (record) => deliver(record));
 */
export async function processFifoBatch(
  records: SQSRecord[],
  handle: (record: SQSRecord) => Promise<void>,
): Promise<SQSBatchResponse> {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? record.messageId;
    const list = groups.get(group) ?? [];
    list.push(record);
    groups.set(group, list);
  }
  const failures: string[] = [];
  await Promise.all(
    [...groups.values()].map(async (groupRecords) => {
      for (let i = 0; i < groupRecords.length; i++) {
        const record = groupRecords[i]!;
        try {
          await handle(record);
        } catch (error) {
          logger.warn('Message failed; holding back the rest of its group', {
            messageId: record.messageId,
            group: record.attributes.MessageGroupId,
            error: (error as Error).message,
          });
          for (const rest of groupRecords.slice(i)) failures.push(rest.messageId);
          return;
        }
      }
    }),
  );
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}
