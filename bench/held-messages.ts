import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoParkingStore } from '../functions/adapters/dynamo-parking-store';
import { table } from '../lib/topology';
import { CREDENTIALS, REGION } from '../local/aws-local';
import type { Twin } from '../local/twin';

/**
 * Where messages that have no delivery record yet can be: a message waiting behind its member's
 * earlier one, or behind an open breaker before its first attempt, is logged only when attempted.
 * Until then it is on the delivery queue, or parked in the table. Counts only (the queue cannot be
 * read without taking messages from the workers): every message the delivery queue holds, and
 * what the given endpoints have parked.
 */
export async function heldForDelivery(twin: Twin, tenantId: string, subscriptionIds: string[]) {
  const sqs = new SQSClient({ endpoint: twin.endpoints.sqs, region: REGION, credentials: CREDENTIALS });
  const dynamo = new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: REGION, credentials: CREDENTIALS });
  try {
    const { Attributes: attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: twin.queueUrls.webhookDelivery,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    const queued = Object.values(attributes).reduce((sum, count) => sum + Number(count), 0);
    const parking = new DynamoParkingStore(DynamoDBDocumentClient.from(dynamo), table.localName, 1);
    let parked = 0;
    for (const subscriptionId of subscriptionIds)
      parked += (await parking.parkedCount(tenantId, subscriptionId)).messages;
    return { queued, parked };
  } finally {
    sqs.destroy();
    dynamo.destroy();
  }
}
