import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * SDK clients, created once per container. Endpoints come from the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables, which is how the local twin points them at its stand-ins.
 * Timeouts are explicit so a slow dependency fails a call instead of the whole invocation.
 */
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 5_000 };

let documentClient: DynamoDBDocumentClient | undefined;
let sqsClient: SQSClient | undefined;
let firehoseClient: FirehoseClient | undefined;

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({ requestHandler, maxAttempts: 3 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function sqs(): SQSClient {
  sqsClient ??= new SQSClient({ requestHandler, maxAttempts: 3 });
  return sqsClient;
}

export function firehose(): FirehoseClient {
  firehoseClient ??= new FirehoseClient({ requestHandler, maxAttempts: 3 });
  return firehoseClient;
}
