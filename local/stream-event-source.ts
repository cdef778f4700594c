import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecord,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { DynamoStreamTrigger } from '../functions/declaration/topology';
import { REGION } from './aws-local';
import type { Checkpoints } from './checkpoints';
import { matchesAny } from './event-filter';
import { required } from '../functions/shared/required';

export interface StreamEventSourceOptions {
  mapping: string;
  streamArn: string;
  trigger: DynamoStreamTrigger;
  client: DynamoDBStreamsClient;
  invoke: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;
  /** The on-failure destination: receives invocation metadata only, like Lambda's SQS destination. */
  onFailure: (metadata: Record<string, unknown>) => Promise<void>;
  checkpoints: Checkpoints;
  retryBaseDelayMs?: number;
  /** Each batch handed to the function: its iterator age (the age of its newest record), as Lambda reports it. */
  onBatch?: (iteratorAgeMs: number) => void;
  log?: (message: string, detail?: Record<string, unknown>) => void;
}

/**
 * How often a shard is read: Lambda polls each shard of a DynamoDB stream 4 times a second, and when a
 * poll finds records it invokes the function, waits for it, then polls on at that rate. The twin keeps
 * AWS's cadence, so the latency it shows includes the up to 250 ms a record waits for its shard's next
 * poll on AWS; a faster twin would promise what a deployment cannot give.
 */
const SHARD_POLL_INTERVAL_MS = 250;
/** How often the stream is listed for new shards (a closed shard's children). */
const DISCOVERY_INTERVAL_MS = 1_000;

/** A record as Lambda delivers it: the stream always sets these two, and checkpoints and record age read them. */
type DeliveredRecord = DynamoDBRecord & {
  dynamodb: NonNullable<DynamoDBRecord['dynamodb']> & { SequenceNumber: string; ApproximateCreationDateTime: number };
};

/** The record as Lambda delivers it (creation time in epoch seconds). */
function toLambdaRecord(record: StreamRecord, streamArn: string): DeliveredRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: record.awsRegion ?? REGION,
    eventSourceARN: streamArn,
    dynamodb: {
      ...(record.dynamodb as DynamoDBRecord['dynamodb']),
      SequenceNumber: required(
        record.dynamodb?.SequenceNumber,
        `stream record ${record.eventID ?? ''} sequence number`,
      ),
      ApproximateCreationDateTime: created
        ? Math.floor(new Date(created).getTime() / 1000)
        : Math.floor(Date.now() / 1000),
    },
  };
}

/**
 * A Lambda event-source mapping for DynamoDB Streams, with the mapping's own semantics: one
 * poller per shard (parents before children), filter patterns, batch size and batching window,
 * partial batch responses (retry from the first failed record), bisect on error, retry attempts,
 * maximum record age and an on-failure destination. Checkpoints survive restarts.
 */
export class StreamEventSource {
  private running = false;
  /** Aborted on stop, to cut retry backoffs short. */
  private stopping = new AbortController();
  private loop?: Promise<void>;
  private readonly shardTasks = new Map<string, Promise<void>>();
  private readonly finished = new Set<string>();

  constructor(private readonly options: StreamEventSourceOptions) {
    if (options.trigger.parallelizationFactor !== 1) {
      throw new Error(
        'The local twin emulates ParallelizationFactor 1 only (per-item order is what the consumers rely on)',
      );
    }
  }

  start(): void {
    this.running = true;
    this.stopping = new AbortController();
    this.loop = this.discover();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.abort();
    await this.loop;
    await Promise.allSettled(this.shardTasks.values());
    this.options.checkpoints.flush();
  }

  /** Waits, unless the source is stopping; false when it is (at once, or when it stops meanwhile). */
  private async pause(ms: number): Promise<boolean> {
    try {
      await sleep(ms, undefined, { signal: this.stopping.signal });
      return true;
    } catch {
      return false;
    }
  }

  private async discover(): Promise<void> {
    while (this.running) {
      try {
        for (const shard of await this.listShards()) {
          const id = required(shard.ShardId, 'DescribeStream shard id');
          if (this.shardTasks.has(id)) continue;
          if (this.options.checkpoints.get(this.options.mapping, id)?.done) {
            this.finished.add(id);
            continue;
          }
          const parent = shard.ParentShardId;
          if (parent && !this.finished.has(parent) && this.shardTasks.has(parent)) continue;
          this.shardTasks.set(id, this.consume(shard));
        }
      } catch (error) {
        this.options.log?.('stream discovery failed', { error: (error as Error).message });
      }
      await this.pause(DISCOVERY_INTERVAL_MS);
    }
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.options.client.send(
        new DescribeStreamCommand({ StreamArn: this.options.streamArn, ExclusiveStartShardId: start }),
      );
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  private async consume(shard: Shard): Promise<void> {
    const { client, streamArn, trigger, mapping, checkpoints } = this.options;
    const shardId = required(shard.ShardId, 'DescribeStream shard id');
    const checkpoint = checkpoints.get(mapping, shardId)?.sequenceNumber;
    let iterator = (
      await client.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(checkpoint
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: checkpoint }
            : { ShardIteratorType: trigger.startingPosition }),
        }),
      )
    ).ShardIterator;

    let pending: DeliveredRecord[] = [];
    let windowStart = 0;
    let lastSeen: string | undefined;
    let polledAt = 0;
    while (this.running && iterator) {
      // The next poll starts a poll interval after the last one started (the invocation in between counts).
      const early = polledAt + SHARD_POLL_INTERVAL_MS - Date.now();
      if (early > 0 && !(await this.pause(early))) break;
      polledAt = Date.now();
      let result;
      try {
        result = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      } catch (error) {
        this.options.log?.('GetRecords failed', { shardId, error: (error as Error).message });
        await this.pause(500);
        continue;
      }
      iterator = result.NextShardIterator;
      for (const raw of result.Records ?? []) {
        const record = toLambdaRecord(raw, streamArn);
        lastSeen = record.dynamodb.SequenceNumber;
        if (matchesAny(trigger.filterPatterns, record)) {
          if (pending.length === 0) windowStart = Date.now();
          pending.push(record);
        }
      }
      const windowOver = Date.now() - windowStart >= trigger.maxBatchingWindowSeconds * 1000;
      while (pending.length >= trigger.batchSize || (pending.length > 0 && (windowOver || !iterator))) {
        // Stopped while retrying: the checkpoint stays before the undelivered records, the next start resumes there.
        if (!(await this.process(shardId, pending.slice(0, trigger.batchSize)))) return;
        pending = pending.slice(trigger.batchSize);
      }
      if (pending.length === 0 && lastSeen) {
        // Everything up to here was delivered or filtered out.
        checkpoints.set(mapping, shardId, { sequenceNumber: lastSeen });
        lastSeen = undefined;
      }
    }
    if (!iterator) {
      checkpoints.set(mapping, shardId, { done: true });
      this.finished.add(shardId);
    }
  }

  /** Delivers one batch with the mapping's retry rules; false when the source stopped before it was through. */
  private async process(shardId: string, records: DeliveredRecord[]): Promise<boolean> {
    const { trigger, mapping, checkpoints } = this.options;
    const queue: DeliveredRecord[][] = [records];
    let attempt = 0;
    let retrying = false;
    while (queue.length > 0) {
      // A stopping source retries no more: the checkpoint stays at the last delivered record.
      if (retrying && !this.running) return false;
      let batch = required(queue[0], 'queued batch');
      const cutoff = Date.now() / 1000 - trigger.maxRecordAgeSeconds;
      const expired = batch.filter((r) => r.dynamodb.ApproximateCreationDateTime < cutoff);
      if (expired.length > 0) {
        await this.sendToOnFailure(shardId, expired, 'RecordAgeExceeded', attempt);
        batch = batch.filter((r) => !expired.includes(r));
        queue[0] = batch;
      }
      if (batch.length === 0) {
        queue.shift();
        continue;
      }
      let failedFrom = -1;
      const newest = lastOf(batch).dynamodb.ApproximateCreationDateTime * 1000;
      this.options.onBatch?.(Math.max(0, Date.now() - newest));
      try {
        const response = await this.options.invoke({ Records: batch });
        const failures = response?.batchItemFailures ?? [];
        if (failures.length > 0) {
          const indexes = failures.map((f) => batch.findIndex((r) => r.dynamodb.SequenceNumber === f.itemIdentifier));
          // An identifier that names no record of the batch fails the whole batch (Lambda does the same).
          failedFrom = indexes.includes(-1) ? 0 : Math.min(...indexes);
        }
      } catch (error) {
        this.options.log?.('stream batch failed', { mapping, error: (error as Error).message });
        failedFrom = 0;
      }
      if (failedFrom === -1) {
        checkpoints.set(mapping, shardId, { sequenceNumber: lastOf(batch).dynamodb.SequenceNumber });
        queue.shift();
        continue;
      }
      if (failedFrom > 0) {
        const lastDelivered = required(batch[failedFrom - 1], 'last delivered record');
        checkpoints.set(mapping, shardId, { sequenceNumber: lastDelivered.dynamodb.SequenceNumber });
        batch = batch.slice(failedFrom);
        queue[0] = batch;
      }
      retrying = true;
      attempt++;
      if (attempt > trigger.retryAttempts) {
        await this.sendToOnFailure(shardId, batch, 'RetryAttemptsExhausted', attempt);
        checkpoints.set(mapping, shardId, { sequenceNumber: lastOf(batch).dynamodb.SequenceNumber });
        queue.shift();
        attempt = 0;
        continue;
      }
      if (trigger.bisectBatchOnError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        queue.splice(0, 1, batch.slice(0, half), batch.slice(half));
      }
      if (!(await this.pause(Math.min(5_000, (this.options.retryBaseDelayMs ?? 200) * 2 ** (attempt - 1)))))
        return false;
    }
    return true;
  }

  private async sendToOnFailure(shardId: string, batch: DeliveredRecord[], condition: string, attempts: number) {
    const first = required(batch[0], 'first record of a failed batch').dynamodb;
    const last = lastOf(batch).dynamodb;
    await this.options.onFailure({
      requestContext: {
        requestId: crypto.randomUUID(),
        functionArn: `local:${this.options.mapping}`,
        condition,
        approximateInvokeCount: attempts,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first.SequenceNumber,
        endSequenceNumber: last.SequenceNumber,
        approximateArrivalOfFirstRecord: new Date(first.ApproximateCreationDateTime * 1000).toISOString(),
        approximateArrivalOfLastRecord: new Date(last.ApproximateCreationDateTime * 1000).toISOString(),
        batchSize: batch.length,
        streamArn: this.options.streamArn,
      },
    });
  }
}

/** The last record of a batch the mapping holds (never empty where it is read). */
function lastOf(batch: DeliveredRecord[]): DeliveredRecord {
  return required(batch.at(-1), 'last record of a batch');
}
