import { PutRecordBatchCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { LoyaltyEvent } from '../domain/events';
import { logger } from '../shared/logger';
import { eventFromStreamRecord } from './outbox-stream';

const MAX_RECORDS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024 - 64 * 1024;
const MAX_ATTEMPTS = 4;

/** What one event becomes in the lake (the tenant's minimisation); as committed when no shaper is given. */
export type LakeLineShaper = (event: LoyaltyEvent) => Promise<object>;

interface Pending {
  sequenceNumber: string;
  data: Buffer;
}

interface PutOutcome {
  /** Records still refused after the last attempt, in stream order. */
  failed: Pending[];
  /** Records Firehose took (each is in the lake, exactly once per take). */
  accepted: number;
  /** Set when the last attempt threw instead of answering. */
  lastError?: Error;
}

/** Every stream record carries its sequence number; a record without one is not from a stream. */
function sequenceNumberOf(record: DynamoDBRecord): string {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (sequenceNumber === undefined) throw new Error('A stream record has no sequence number');
  return sequenceNumber;
}

/**
 * Forwards each outbox event of a stream batch as one NDJSON line to the raw-event delivery
 * stream, which partitions by tenant, type and the event's own date/hour into gzip files.
 * Records Firehose still refuses after the retries are reported as batch item failures, so the
 * stream retries from the first of them (and bisects); records after it that were taken are sent
 * again then. At-least-once: lake loaders dedup on the event `id`.
 */
export class FirehoseLakeSink {
  constructor(
    private readonly client: FirehoseClient,
    private readonly streamName: string,
    private readonly shape: LakeLineShaper = (event) => Promise.resolve(event),
  ) {}

  async forward(records: DynamoDBRecord[]): Promise<DynamoDBBatchResponse> {
    const lines: Pending[] = [];
    for (const record of records) {
      const loyalty = eventFromStreamRecord(record);
      if (!loyalty) continue;
      lines.push(await this.line(sequenceNumberOf(record), loyalty));
    }
    return this.putInBatches(lines);
  }

  /**
   * Sends events read from the table (a backfill) the way `forward` sends stream records: shaped by the tenant's
   * lake settings, in order. Throws when Firehose still refuses some after the retries; the ones it took stay sent.
   */
  async send(events: LoyaltyEvent[]): Promise<void> {
    const lines = await Promise.all(events.map((event) => this.line(event.id, event)));
    const { batchItemFailures } = await this.putInBatches(lines);
    if (batchItemFailures.length > 0) throw new Error(`Firehose refused ${batchItemFailures.length} events`);
  }

  private async line(sequenceNumber: string, event: LoyaltyEvent): Promise<Pending> {
    return { sequenceNumber, data: Buffer.from(JSON.stringify(await this.shape(event)) + '\n') };
  }

  private async putInBatches(lines: Pending[]): Promise<DynamoDBBatchResponse> {
    let accepted = 0;
    let batch: Pending[] = [];
    let bytes = 0;
    const flush = async (): Promise<DynamoDBBatchResponse | undefined> => {
      const outcome = await this.putAll(batch);
      batch = [];
      bytes = 0;
      accepted += outcome.accepted;
      const [first] = outcome.failed;
      if (first === undefined) return undefined;
      // Nothing of this invocation reached Firehose: a plain function error (counted, alarmed) duplicates nothing.
      if (accepted === 0 && outcome.lastError !== undefined) throw outcome.lastError;
      logger.error('Firehose still refuses records after retries; the stream retries from the first', {
        failed: outcome.failed.length,
        firstSequenceNumber: first.sequenceNumber,
      });
      return { batchItemFailures: outcome.failed.map((p) => ({ itemIdentifier: p.sequenceNumber })) };
    };
    for (const line of lines) {
      if (batch.length === MAX_RECORDS || bytes + line.data.length > MAX_BATCH_BYTES) {
        const failure = await flush();
        if (failure) return failure;
      }
      batch.push(line);
      bytes += line.data.length;
    }
    return (batch.length ? await flush() : undefined) ?? { batchItemFailures: [] };
  }

  /**
   * PutRecordBatch can fail partially (FailedPutCount): resend only the refused records, with
   * backoff. A call that throws (after the SDK's own retries) leaves every pending record refused.
   */
  private async putAll(records: Pending[]): Promise<PutOutcome> {
    let pending = records;
    let accepted = 0;
    let lastError: Error | undefined;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
      try {
        const result = await this.client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.streamName,
            Records: pending.map((p) => ({ Data: p.data })),
          }),
        );
        lastError = undefined;
        const responses = result.RequestResponses ?? [];
        // Without a per-record answer nothing says whether the record was taken: resend it.
        const isRefused = (i: number) => responses[i]?.ErrorCode !== undefined || !responses[i];
        const refused = result.FailedPutCount ? pending.filter((_, i) => isRefused(i)) : [];
        accepted += pending.length - refused.length;
        if (refused.length > 0) {
          const errorCodes = [
            ...new Set(pending.flatMap((_, i) => (isRefused(i) ? [responses[i]?.ErrorCode ?? 'NoResponse'] : []))),
          ];
          const detail = { failed: refused.length, of: pending.length, attempt, errorCodes };
          logger.warn('Firehose refused part of a batch', detail);
        }
        pending = refused;
      } catch (error) {
        lastError = error instanceof Error ? error : new Error(String(error));
        logger.warn('Firehose call failed', { attempt, records: pending.length, error: lastError.message });
      }
    }
    return { failed: pending, accepted, ...(lastError !== undefined ? { lastError } : {}) };
  }
}
