import type { WebhookSubscription } from '../../functions/domain/ports';

/** The Standard Webhooks test-vector secret: deliveries signed with it can be checked by hand. */
export const TEST_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** An enabled endpoint for `points.*` events at hooks.example.com, signed with TEST_SECRET. */
export const testSubscription = (
  endpoint: Pick<WebhookSubscription, 'tenantId' | 'subscriptionId' | 'createdAt'> & Partial<WebhookSubscription>,
): WebhookSubscription => ({
  url: 'https://hooks.example.com/loyalty',
  eventTypes: ['points.*'],
  enabled: true,
  secrets: [TEST_SECRET],
  ...endpoint,
});
