import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { firehose } from '../adapters/aws-clients';
import { eventFromStreamRecord } from '../domain/outbox';
import { setting } from '../shared/config';
import { logger } from '../shared/logger';

const MAX_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024 - 64 * 1024;
const MAX_ATTEMPTS = 4;

interface Pending {
  sequenceNumber: string;
  data: Buffer;
}

/** PutRecordBatch can fail partially (FailedPutCount): resend only the failed records, with backoff. */
async function putAll(records: Pending[]): Promise<Pending[]> {
  let pending = records;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS && pending.length > 0; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
    const result = await firehose().send(
      new PutRecordBatchCommand({ DeliveryStreamName: setting('RAW_EVENTS_STREAM_NAME'), Records: pending.map((p) => ({ Data: p.data })) }),
    );
    if (!result.FailedPutCount) return [];
    pending = pending.filter((_, index) => result.RequestResponses?.[index]?.ErrorCode);
    logger.warn('Firehose refused part of a batch', { failed: pending.length, attempt });
  }
  return pending;
}

/**
 * Stream consumer: forwards each outbox event as one NDJSON line to the raw-event delivery
 * stream, which partitions by tenant, type and the event's own date/hour into gzip files.
 * At-least-once: lake loaders dedup on the event `id`.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  const lines: Pending[] = [];
  for (const record of event.Records) {
    const loyalty = eventFromStreamRecord(record);
    if (loyalty) lines.push({ sequenceNumber: record.dynamodb!.SequenceNumber!, data: Buffer.from(JSON.stringify(loyalty) + '\n') });
  }
  let batch: Pending[] = [];
  let bytes = 0;
  const flush = async (): Promise<Pending | undefined> => {
    const failed = await putAll(batch);
    batch = [];
    bytes = 0;
    return failed[0];
  };
  for (const line of lines) {
    if (batch.length === MAX_RECORDS || bytes + line.data.length > MAX_BATCH_BYTES) {
      const failed = await flush();
      if (failed) return { batchItemFailures: [{ itemIdentifier: failed.sequenceNumber }] };
    }
    batch.push(line);
    bytes += line.data.length;
  }
  const failed = batch.length ? await flush() : undefined;
  return { batchItemFailures: failed ? [{ itemIdentifier: failed.sequenceNumber }] : [] };
}
