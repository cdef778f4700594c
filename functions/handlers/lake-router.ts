import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { lakeSink } from '../composition/lake';
import { lambdaHandler } from '../shared/lambda-handler';

/**
 * Stream consumer: forwards each outbox event as one NDJSON line to the raw-event delivery
 * stream (the lake). Records Firehose still refuses after the sink's retries come back as batch
 * item failures, so the stream retries from the first of them. Each line is the event as committed,
 * its `correlationId` included.
 */
export const handler = lambdaHandler((event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> =>
  lakeSink().forward(event.Records),
);
