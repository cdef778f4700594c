import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliveryWiring } from '../composition/webhooks';

/** Built once per container, on the first invocation (settings are read then). */
let wired: ReturnType<typeof deliveryWiring> | undefined;

/**
 * SQS FIFO consumer: delivers each message as a signed webhook, in order per member and endpoint.
 * A message that fails or must wait stays in flight for its wait (ChangeMessageVisibility), so
 * its member's later messages wait behind it while every other group keeps flowing.
 */
export async function handler(
  event: SQSEvent,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SQSBatchResponse> {
  const { service, consumer } = (wired ??= deliveryWiring());
  return consumer.consume(
    event.Records,
    (message, receiveCount, sentAtMs) => service.handle(message, receiveCount, sentAtMs),
    context ? () => context.getRemainingTimeInMillis() : undefined,
  );
}
