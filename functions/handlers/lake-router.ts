import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { lakeSink } from '../composition/lake';

/** Built once per container, on the first invocation (settings are read then). */
let sink: ReturnType<typeof lakeSink> | undefined;

/**
 * Stream consumer: forwards each outbox event as one NDJSON line to the raw-event delivery
 * stream (the lake). Records Firehose still refuses after the sink's retries come back as batch
 * item failures, so the stream retries from the first of them.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  return (sink ??= lakeSink()).forward(event.Records);
}
