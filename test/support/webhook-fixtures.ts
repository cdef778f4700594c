import type { WebhookSubscription } from '../../functions/domain/ports';

/** An enabled endpoint subscribed to points events, signing with a fixed secret; `overrides` set the rest. */
export const webhookSubscription = (
  tenantId: string,
  subscriptionId: string,
  overrides: Partial<WebhookSubscription> = {},
): WebhookSubscription => ({
  tenantId,
  subscriptionId,
  url: 'https://hooks.example.com/loyalty',
  eventTypes: ['points.*'],
  enabled: true,
  secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
  createdAt: '2026-11-21T10:00:00.000Z',
  ...overrides,
});
