import { LOCAL_KEY_PREFIX, sealerForKey } from '../../functions/composition/secrets';
import { pointsEarnedEvent, type LoyaltyEvent } from '../../functions/domain/events';
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

/** A master key for tests that stand in for the twin's own (`TWIN_SECRETS_KEY`): base64 of 32 bytes. */
export const TEST_SECRETS_KEY = Buffer.alloc(32, 7).toString('base64');

/** The sealer the twin's functions use when started with TEST_SECRETS_KEY. */
export const testSealer = () => sealerForKey(`${LOCAL_KEY_PREFIX}${TEST_SECRETS_KEY}`);

/**
 * Tenant t1's points.earned events for any member, numbered 1, 2, ... across members (the number is the event's seq
 * and names its ids), each occurring at `nowMs()`.
 */
export function earnedEvents(nowMs: () => number): (memberId: string) => LoyaltyEvent {
  let seq = 0;
  return (memberId) => {
    seq += 1;
    return pointsEarnedEvent.parse({
      id: `evt_${seq}`,
      version: 1,
      tenantId: 't1',
      memberId,
      seq,
      occurredAt: new Date(nowMs()).toISOString(),
      type: 'points.earned',
      data: {
        entryId: `ent_${seq}`,
        amountPoints: 10,
        reason: 'stay',
        source: 'pms',
        transactionId: `txn-${seq}`,
        expiresAt: '2027-11-21T10:00:00.000Z',
        pending: false,
        balance: { availablePoints: 10 * seq, pendingPoints: 0, lifetimePoints: 10 * seq, tier: 'silver' },
      },
    });
  };
}
