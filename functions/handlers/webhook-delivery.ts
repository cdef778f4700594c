import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliveryWiring } from '../composition/webhooks';
import { lambdaHandler } from '../shared/lambda-handler';

/** Built once per container, on the first invocation (settings are read then). */
let wired: ReturnType<typeof deliveryWiring> | undefined;

/**
 * SQS FIFO consumer: delivers each message as a signed webhook, in order per member and endpoint.
 * A message that fails or must wait stays in flight for its wait (ChangeMessageVisibility), so
 * its member's later messages wait behind it while every other group keeps flowing. Each attempt
 * is traced by the message's correlation id (a message without one takes this invocation's id).
 */
async function deliver(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const { service, consumer } = (wired ??= deliveryWiring());
  return consumer.consume(
    event.Records,
    (message, receiveCount, sentAtMs) => service.handle(message, receiveCount, sentAtMs, context.awsRequestId),
    () => context.getRemainingTimeInMillis(),
  );
}

export const handler = lambdaHandler(deliver);
