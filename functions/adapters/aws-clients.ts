import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { KMSClient } from '@aws-sdk/client-kms';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { S3Client } from '@aws-sdk/client-s3';
import { traced } from '../shared/tracer';

/**
 * SDK clients with the platform's settings. Each call builds a new client: the composition root
 * builds one per service a function uses and hands it to the adapters, and the handler keeps
 * what it built for its container. Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE>
 * variables, which is how the local twin points them at its stand-ins. Timeouts are explicit so
 * a slow dependency fails a call instead of the whole invocation. Each client is `traced`: with tracing on,
 * every AWS call is a subsegment of the invocation's trace.
 */
const requestHandler = { connectionTimeout: 2_000, requestTimeout: 5_000 };

export const documentClient = (): DynamoDBDocumentClient =>
  // The document client sends through the base client, so instrumenting that one traces both.
  DynamoDBDocumentClient.from(traced(new DynamoDBClient({ requestHandler, maxAttempts: 3 })), {
    marshallOptions: { removeUndefinedValues: true },
  });

/**
 * `useQueueUrlAsEndpoint: false` for URLs SQS answers rather than ones the deployment gives (the admin API's
 * CreateQueue): the call goes to the client's endpoint, which on AWS is the URL's host anyway.
 */
export const sqsClient = (options: { useQueueUrlAsEndpoint?: boolean } = {}): SQSClient =>
  traced(new SQSClient({ requestHandler, maxAttempts: 3, ...options }));

export const firehoseClient = (): FirehoseClient => traced(new FirehoseClient({ requestHandler, maxAttempts: 3 }));

export const kmsClient = (): KMSClient => traced(new KMSClient({ requestHandler, maxAttempts: 3 }));

/** Event-source mappings of tenants' inbound queues (the admin API). */
export const lambdaClient = (): LambdaClient => traced(new LambdaClient({ requestHandler, maxAttempts: 3 }));

export const apiGatewayClient = (): APIGatewayClient =>
  traced(new APIGatewayClient({ requestHandler, maxAttempts: 3 }));

/** `forcePathStyle`: the twin's S3 stand-in serves buckets by path, not by host name. */
export const s3Client = (options: { forcePathStyle: boolean }): S3Client =>
  // An export part is up to 64 MiB before compression: its upload gets longer than one API call.
  traced(
    new S3Client({
      requestHandler: { ...requestHandler, requestTimeout: 60_000 },
      maxAttempts: 3,
      forcePathStyle: options.forcePathStyle,
    }),
  );
