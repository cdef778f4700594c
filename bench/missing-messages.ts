import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoParkingStore } from '../functions/adapters/dynamo-parking-store';
import { table } from '../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../local/aws-local';
import type { Twin } from '../local/twin';
import type { Arrival } from './harness';

interface LoggedMessage {
  status: 'pending' | 'delivered' | 'failing' | 'dead';
  nextAttemptAt?: string;
}

/**
 * Where the (endpoint, event) pairs the receiver never accepted stand. In the delivery log:
 * waiting (pending or failing) or dead. Not in the log: never attempted yet, so waiting on the
 * queue or parked, as long as those hold at least as many messages. Lost is only what none of
 * these accounts for, or what the log says was delivered while the receiver never accepted it; an
 * answer the API could not give is neither (it shows in `missing` only).
 */
export async function accountForMissing(
  twin: Twin,
  headers: Record<string, string>,
  endpoints: { name: string; subscriptionId: string }[],
  outcome: { wanted: Set<string>; first: Map<string, Arrival> },
) {
  const missing: Record<string, number> = {};
  let latestRetry: string | undefined;
  for (const key of outcome.wanted) {
    if (outcome.first.has(key)) continue;
    const [name, eventId] = key.split('\n') as [string, string];
    const subscriptionId = endpoints.find((e) => e.name === name)!.subscriptionId;
    const response = await fetch(`${twin.apiUrl}/v1/webhooks/endpoints/${subscriptionId}/messages/${eventId}`, {
      headers,
    });
    const message = response.ok ? ((await response.json()) as LoggedMessage) : undefined;
    const status = message?.status ?? (response.status === 404 ? 'not_logged' : `http_${response.status}`);
    missing[status] = (missing[status] ?? 0) + 1;
    if (message?.nextAttemptAt && (!latestRetry || message.nextAttemptAt > latestRetry))
      latestRetry = message.nextAttemptAt;
  }
  const notLogged = missing.not_logged ?? 0;
  const held = notLogged
    ? await heldForDelivery(
        twin,
        twin.demo.tenantId,
        endpoints.map((e) => e.subscriptionId),
      )
    : undefined;
  const heldUnlogged = held ? Math.min(notLogged, held.queued + held.parked) : 0;
  return {
    missing,
    held,
    latestRetry,
    pending: (missing.pending ?? 0) + (missing.failing ?? 0) + heldUnlogged,
    dead: missing.dead ?? 0,
    lost: (missing.delivered ?? 0) + notLogged - heldUnlogged,
  };
}

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
