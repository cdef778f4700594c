import type { Clock } from '../../shared/clock';
import { required } from '../../shared/required';
import type { LoyaltyEvent } from '../events';
import type { WebhookSubscription } from '../ports';
import { matchesEventType, type QueuedDelivery } from './message';
import { noticeSubject } from './notices';
import type { DeliveryQueue, DigestStore, EndpointDirectory } from './ports';

/** Deliveries per call to the queue: SQS takes at most 10 messages in one SendMessageBatch. */
export const QUEUE_BATCH = 10;

/** One event's share of a batch: its deliveries to queue at once, and the digest endpoints whose window it joins. */
export interface RoutePlan {
  event: LoyaltyEvent;
  immediate: QueuedDelivery[];
  digests: WebhookSubscription[];
}

/** The first event of a batch that was not fully routed, and why: it and the events after it are to be retried. */
export interface RouteFailure {
  index: number;
  error: unknown;
}

/**
 * Fans outbox events out to the tenant's endpoints: one FIFO message per matching endpoint, or,
 * for a digest endpoint, the event joins the endpoint's current window (the window's first event
 * queues its delivery). Disabled endpoints get theirs too: the delivery service parks them as
 * dead letters, to be redriven once the endpoint is enabled again.
 *
 * A batch of events is queued together, ten messages per call across events rather than one call
 * per event: a stream batch of n events costs about n × endpoints / 10 sequential queue calls, not n,
 * and its last event no longer waits behind a call per earlier event. Order holds per message group
 * because the calls go out in event order and SQS keeps a batch's order within each group.
 * @example await new WebhookFanOut({ endpoints, queue, digests, clock }).route(event) // endpoints matched
 */
export class WebhookFanOut {
  constructor(
    private readonly deps: { endpoints: EndpointDirectory; queue: DeliveryQueue; digests: DigestStore; clock: Clock },
  ) {}

  /** Routes one event; returns how many endpoints matched. */
  async route(event: LoyaltyEvent): Promise<number> {
    const plan = await this.plan(event);
    const failure = await this.queue([plan]);
    if (failure) throw failure.error;
    return plan.immediate.length + plan.digests.length;
  }

  /** Which endpoints take the event (reads the tenant's endpoints only; nothing is queued yet). */
  async plan(event: LoyaltyEvent): Promise<RoutePlan> {
    // A notice about an endpoint goes to the tenant's other endpoints only.
    const about = noticeSubject(event);
    const targets = (await this.deps.endpoints.forTenant(event.tenantId)).filter(
      (s) => matchesEventType(s.eventTypes, event.type) && s.subscriptionId !== about,
    );
    return {
      event,
      immediate: targets
        .filter((sub) => !sub.digest)
        .map((sub) => ({ tenantId: event.tenantId, subscriptionId: sub.subscriptionId, event })),
      digests: targets.filter((sub) => sub.digest),
    };
  }

  /**
   * Queues the plans' deliveries, in event order, ten per call; then the events join their digest
   * windows, one event after the other, up to the first event whose deliveries failed to queue.
   * Returns the first event not fully routed (a retry from it re-queues some messages of it and of
   * later events: their deduplication ids make the queue drop those), or nothing when all were.
   */
  async queue(plans: RoutePlan[]): Promise<RouteFailure | undefined> {
    const entries = plans.flatMap((plan, index) => plan.immediate.map((message) => ({ index, message })));
    let failure: RouteFailure | undefined;
    for (let start = 0; start < entries.length && !failure; start += QUEUE_BATCH) {
      const chunk = entries.slice(start, start + QUEUE_BATCH);
      try {
        await this.deps.queue.enqueue(chunk.map((entry) => entry.message));
      } catch (error) {
        failure = { index: required(chunk[0], 'first delivery of a chunk').index, error };
      }
    }
    const through = failure?.index ?? plans.length;
    for (let index = 0; index < through; index++) {
      try {
        await this.joinDigests(required(plans[index], 'plan'));
      } catch (error) {
        return { index, error };
      }
    }
    return failure;
  }

  private async joinDigests({ event, digests: endpoints }: RoutePlan): Promise<void> {
    const { queue, digests, clock } = this.deps;
    for (const sub of endpoints) {
      const { intervalSeconds } = required(sub.digest, 'digest settings of a digest endpoint');
      const added = await digests.add(event.tenantId, sub.subscriptionId, event, intervalSeconds, clock.now());
      if (added.queue) {
        // The window's call is traced to the request that opened it; each event in it carries its own too.
        const traced = event.correlationId !== undefined ? { correlationId: event.correlationId } : {};
        await queue.enqueue([
          { tenantId: event.tenantId, subscriptionId: sub.subscriptionId, digest: added.digest, ...traced },
        ]);
        await digests.markQueued(event.tenantId, sub.subscriptionId, added.digest);
      }
    }
  }
}
