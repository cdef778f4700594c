import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { lakeSink } from '../composition/lake';
import { lambdaHandler } from '../shared/lambda-handler';

/** Built once per container, on the first invocation (settings are read then). */
let sink: ReturnType<typeof lakeSink> | undefined;

/**
 * Stream consumer: forwards each outbox event as one NDJSON line to the raw-event delivery
 * stream (the lake). Records Firehose still refuses after the sink's retries come back as batch
 * item failures, so the stream retries from the first of them. Each line is the event as committed,
 * its `correlationId` included.
 */
export const handler = lambdaHandler((event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  (sink ??= lakeSink()).forward(event.Records),
);
