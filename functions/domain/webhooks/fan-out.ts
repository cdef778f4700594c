import type { Clock } from '../../shared/clock';
import type { LoyaltyEvent } from '../events';
import { matchesEventType } from './message';
import { noticeSubject } from './notices';
import type { DeliveryQueue, DigestStore, EndpointDirectory } from './ports';

/**
 * Fans an outbox event out to the tenant's endpoints: one FIFO message per matching endpoint, or,
 * for a digest endpoint, the event joins the endpoint's current window (the window's first event
 * queues its delivery). Disabled endpoints get theirs too: the delivery service parks them as
 * dead letters, to be redriven once the endpoint is enabled again.
 * @example await new WebhookFanOut({ endpoints, queue, digests, clock }).route(event) // endpoints matched
 */
export class WebhookFanOut {
  constructor(
    private readonly deps: { endpoints: EndpointDirectory; queue: DeliveryQueue; digests: DigestStore; clock: Clock },
  ) {}

  /** Queues the event for every matching endpoint; returns how many matched. */
  async route(event: LoyaltyEvent): Promise<number> {
    const { endpoints, queue, digests, clock } = this.deps;
    // A notice about an endpoint goes to the tenant's other endpoints only.
    const about = noticeSubject(event);
    const targets = (await endpoints.forTenant(event.tenantId)).filter(
      (s) => matchesEventType(s.eventTypes, event.type) && s.subscriptionId !== about,
    );
    const immediate = targets.filter((sub) => !sub.digest);
    await queue.enqueue(
      immediate.map((sub) => ({ tenantId: event.tenantId, subscriptionId: sub.subscriptionId, event })),
    );
    for (const sub of targets) {
      if (!sub.digest) continue;
      const { digest, queue: mustQueue } = await digests.add(
        event.tenantId,
        sub.subscriptionId,
        event,
        sub.digest.intervalSeconds,
        clock.now(),
      );
      if (mustQueue) {
        // The window's call is traced to the request that opened it; each event in it carries its own too.
        const traced = event.correlationId !== undefined ? { correlationId: event.correlationId } : {};
        await queue.enqueue([{ tenantId: event.tenantId, subscriptionId: sub.subscriptionId, digest, ...traced }]);
        await digests.markQueued(event.tenantId, sub.subscriptionId, digest);
      }
    }
    return targets.length;
  }
}
