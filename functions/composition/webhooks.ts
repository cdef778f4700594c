import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SubscriptionStore } from '../domain/ports';
import type { DeliveryPolicy } from '../domain/webhooks/delivery-policy';
import { DeliveryService } from '../domain/webhooks/delivery-service';
import { WebhookFanOut } from '../domain/webhooks/fan-out';
import type { EndpointDirectory, WebhookSender } from '../domain/webhooks/ports';
import { countingDeadLetters } from '../domain/webhooks/notices';
import { ReplayService } from '../domain/webhooks/replay';
import { systemClock, type Clock } from '../shared/clock';
import { ttlCache } from '../shared/ttl-cache';
import { setting } from './config';
import { webhookSecretSealer } from './secrets';
import { documentClient, sqsClient } from '../adapters/aws-clients';
import { DynamoDeliveryLog } from '../adapters/dynamo-delivery-log';
import { DynamoDigestStore } from '../adapters/dynamo-digest-store';
import { DynamoEndpointHealth } from '../adapters/dynamo-endpoint-health';
import { DynamoParkingStore } from '../adapters/dynamo-parking-store';
import { DynamoSubscriptionStore } from '../adapters/dynamo-subscription-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { dynamoNoticeWriter } from '../adapters/dynamo-webhook-notices';
import { SqsDeliveryConsumer } from '../adapters/sqs-delivery-consumer';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue';
import { systemResolver } from '../adapters/system-resolver';
import { eventFromStreamRecord } from '../adapters/outbox-stream';
import { requestToken, tokenCache, type TokenSource } from '../adapters/oauth-token-client';
import { postCallback, postSigned } from '../adapters/webhook-sender';
import { isCallbackEndpoint } from '../domain/webhooks/endpoint-types';

/**
 * Builds the webhook services from the adapters and the functions' settings, one function per
 * handler. Each call builds new instances (SDK clients and caches included): the handler keeps
 * what it builds for its container.
 */

/** The delivery policy the functions run with, from their settings. */
export function configuredPolicy(): DeliveryPolicy {
  return {
    retrySchedule: setting('WEBHOOK_RETRY_SCHEDULE'),
    jitter: setting('WEBHOOK_RETRY_JITTER'),
    breakerFailures: setting('WEBHOOK_BREAKER_FAILURES'),
    breakerOpenSeconds: setting('WEBHOOK_BREAKER_OPEN_SECONDS'),
    breakerMaxOpenSeconds: setting('WEBHOOK_BREAKER_MAX_OPEN_SECONDS'),
    disableAfterSeconds: setting('WEBHOOK_DISABLE_AFTER_SECONDS'),
    drainRampSeconds: setting('WEBHOOK_DRAIN_RAMP_SECONDS'),
    drainMaxPerSecond: setting('WEBHOOK_DRAIN_MAX_PER_SECOND'),
  };
}

/**
 * A tenant's endpoints behind a short per-container cache: subscriptions change rarely and are
 * read for every event, so the stream consumers stay off the table. The TTL bounds how long a
 * change takes to apply.
 */
function cachedEndpoints(store: SubscriptionStore, ttlMs: number, clock: Clock): EndpointDirectory {
  const byTenant = ttlCache((tenantId) => store.listForTenant(tenantId), ttlMs, clock);
  return {
    forTenant: (tenantId) => byTenant.get(tenantId),
    get: async (tenantId, subscriptionId) =>
      (await byTenant.get(tenantId)).find((s) => s.subscriptionId === subscriptionId) ?? null,
  };
}

/**
 * The endpoints as a function reads them. The delivery function opens their secrets (`withSecrets`); the cache
 * then also keeps opened secrets for its TTL, so KMS is asked once per endpoint and refresh, not once per message
 * (a Decrypt per message would add a KMS round trip to every delivery and spend the account's shared KMS request
 * quota). The router only matches events to endpoints: it reads them without secrets and holds no key.
 */
const configuredEndpoints = (dynamo: DynamoDBDocumentClient, tableName: string, withSecrets: boolean) =>
  cachedEndpoints(
    new DynamoSubscriptionStore(dynamo, tableName, withSecrets ? webhookSecretSealer() : undefined),
    setting('SUBSCRIPTION_CACHE_TTL_MS'),
    systemClock,
  );

/** The delivery function: the service that delivers one message, and the SQS consumer that feeds it. */
export function deliveryWiring(): { service: DeliveryService; consumer: SqsDeliveryConsumer } {
  const table = setting('TABLE_NAME');
  const retentionDays = setting('WEBHOOK_LOG_RETENTION_DAYS');
  const dynamo = documentClient();
  const sqs = sqsClient();
  const queue = new SqsDeliveryQueue(sqs, setting('DELIVERY_QUEUE_URL'));
  const deadLetters = new SqsDeliveryQueue(sqs, setting('DEAD_LETTER_QUEUE_URL'));
  const endpoints = configuredEndpoints(dynamo, table, true);
  const tenants = new DynamoTenantStore(dynamo, table);
  const health = new DynamoEndpointHealth(dynamo, table);
  const service = new DeliveryService({
    // Each dead letter is counted; crossing a threshold tells the tenant's other endpoints.
    log: countingDeadLetters(
      new DynamoDeliveryLog(dynamo, table, retentionDays),
      health,
      dynamoNoticeWriter(dynamo, table),
      () => systemClock.now(),
    ),
    health,
    endpoint: (tenantId, subscriptionId) => endpoints.get(tenantId, subscriptionId),
    tenantSuspended: async (tenantId) => (await tenants.getTenant(tenantId))?.status === 'suspended',
    send: endpointSender(setting('WEBHOOK_TIMEOUT_MS'), containerTokens()),
    digests: new DynamoDigestStore(dynamo, table, retentionDays),
    // Redriven rounds and wake-up copies of parked messages go back to the delivery queue.
    requeue: (message) => queue.enqueue([message]),
    // The DLQ copy is the whole delivery plus why it died.
    deadLetter: (message, detail) =>
      deadLetters.enqueue([{ ...message, deadLetter: { ...detail, at: systemClock.now().toISOString() } }]),
    policy: configuredPolicy(),
    attemptTimeoutSeconds: Math.ceil(setting('WEBHOOK_TIMEOUT_MS') / 1000),
    clock: systemClock,
    // A failing endpoint keeps a few messages waiting in flight and parks the rest (the queue's in-flight
    // cap is shared).
    parking: new DynamoParkingStore(dynamo, table, retentionDays),
    maxWaitingPerEndpoint: setting('WEBHOOK_MAX_WAITING_PER_ENDPOINT'),
  });
  const consumer = new SqsDeliveryConsumer(
    sqs,
    { deliveryQueueUrl: setting('DELIVERY_QUEUE_URL'), deadLetterQueueUrl: setting('DEAD_LETTER_QUEUE_URL') },
    setting('WEBHOOK_TIMEOUT_MS') + 5_000,
  );
  return { service, consumer };
}

/** The router function: how stream records decode, and the fan-out of outbox events to endpoints and digests. */
export function routerWiring() {
  const table = setting('TABLE_NAME');
  const dynamo = documentClient();
  const fanOut = new WebhookFanOut({
    endpoints: configuredEndpoints(dynamo, table, false),
    queue: new SqsDeliveryQueue(sqsClient(), setting('DELIVERY_QUEUE_URL')),
    digests: new DynamoDigestStore(dynamo, table, setting('WEBHOOK_LOG_RETENTION_DAYS')),
    clock: systemClock,
  });
  return { fanOut, eventOf: eventFromStreamRecord };
}

/** What the API's webhook operations run with: the log, endpoint health, replays, the ping's sender and DNS. */
export function webhookApiWiring(dynamo: DynamoDBDocumentClient, sqs: SQSClient) {
  const table = setting('TABLE_NAME');
  const deliveries = new DynamoDeliveryLog(dynamo, table, setting('WEBHOOK_LOG_RETENTION_DAYS'));
  return {
    deliveries,
    endpointHealth: new DynamoEndpointHealth(dynamo, table),
    replays: new ReplayService({
      log: deliveries,
      queue: new SqsDeliveryQueue(sqs, setting('DELIVERY_QUEUE_URL')),
      clock: systemClock,
    }),
    resolver: systemResolver,
    sendNow,
  };
}

/** A ping answers within the API's time: at most 10 s, less when deliveries are configured shorter. */
const sendNow: WebhookSender = (subscription, message) =>
  endpointSender(Math.min(10_000, setting('WEBHOOK_TIMEOUT_MS')), (apiTokens ??= containerTokens()))(
    subscription,
    message,
  );
let apiTokens: TokenSource | undefined;

/**
 * The OAuth tokens of callback endpoints, kept for the container: a token is fetched through the SSRF guard and the
 * pinned client, within the delivery timeout (at most 10 s), and used until shortly before it expires.
 */
function containerTokens(): TokenSource {
  return tokenCache((auth) =>
    requestToken(auth, {
      timeoutMs: Math.min(10_000, setting('WEBHOOK_TIMEOUT_MS')),
      allowLoopbackHttp: setting('WEBHOOK_ALLOW_LOOPBACK_HTTP'),
    }),
  );
}

/** How an endpoint is called: a signed webhook (or a chat message), or a callback with its auth and headers. */
function endpointSender(timeoutMs: number, tokens: TokenSource): WebhookSender {
  const allowLoopbackHttp = setting('WEBHOOK_ALLOW_LOOPBACK_HTTP');
  return (subscription, message) =>
    isCallbackEndpoint(subscription)
      ? postCallback({
          subscription,
          body: message.body,
          ...(message.correlationId !== undefined ? { correlationId: message.correlationId } : {}),
          timeoutMs,
          allowLoopbackHttp,
          tokens,
        })
      : postSigned({ subscription, ...message, timeoutMs, allowLoopbackHttp });
}
