import { QUEUE_BATCH, WebhookFanOut } from '../../functions/domain/webhooks/fan-out';
import type { QueuedDelivery } from '../../functions/domain/webhooks/message';
import { logger } from '../../functions/shared/logger';
import { MemoryDeliveryQueue, MemoryEndpoints } from '../support/memory-webhook-ports';
import { deliveryHarness } from '../support/delivery-harness';

/**
 * The router's fan-out of a stream batch: deliveries of several events queued together, ten per
 * call, in event order; a call that fails names the first event not fully queued.
 */

beforeAll(() => {
  logger.setLogLevel('SILENT');
});

/** A queue that records each call, and refuses the call numbered `failCall` (from 0). */
class CountingQueue extends MemoryDeliveryQueue {
  readonly calls: QueuedDelivery[][] = [];
  constructor(private readonly failCall = -1) {
    super();
  }

  override async enqueue(messages: QueuedDelivery[]): Promise<void> {
    if (this.calls.length === this.failCall) {
      this.calls.push(messages);
      throw new Error('SQS refused the batch');
    }
    this.calls.push(messages);
    await super.enqueue(messages);
  }
}

/** A tenant with four endpoints taking every event, as the bench's fan-out has. */
function fourEndpoints(failCall = -1) {
  const h = deliveryHarness();
  for (const id of ['sub_2', 'sub_3', 'sub_4'])
    h.endpoints.set(MemoryEndpoints.key('t1', id), { ...h.subscription, subscriptionId: id, eventTypes: ['*'] });
  const queue = new CountingQueue(failCall);
  const fanOut = new WebhookFanOut({ endpoints: h.directory, queue, digests: h.digests, clock: h.clock });
  return { h, queue, fanOut };
}

describe('webhook fan-out of a stream batch', () => {
  it('queues the deliveries of several events ten per call, in event order per endpoint', async () => {
    // Prepare: five events of two members, four endpoints each: 20 deliveries
    const { h, queue, fanOut } = fourEndpoints();
    const events = ['mem_a', 'mem_b', 'mem_a', 'mem_b', 'mem_a'].map((member) => h.event(member));
    const plans = await Promise.all(events.map((event) => fanOut.plan(event)));

    // Act
    const failure = await fanOut.queue(plans);

    // Assess: two calls, not one per event; each endpoint sees the events in their stream order
    expect(failure).toBeUndefined();
    expect(queue.calls.map((call) => call.length)).toEqual([QUEUE_BATCH, QUEUE_BATCH]);
    for (const subscriptionId of ['sub_1', 'sub_2', 'sub_3', 'sub_4']) {
      const seen = queue.queued.filter((m) => m.subscriptionId === subscriptionId);
      expect(seen.map((m) => ('event' in m ? m.event.id : ''))).toEqual(events.map((event) => event.id));
    }
  });

  it('names the first event of a refused call, after queueing every event before it in full', async () => {
    // Prepare: the second call (deliveries 11-20: the rest of event 2, events 3 and 4) is refused
    const { h, queue, fanOut } = fourEndpoints(1);
    const events = ['mem_a', 'mem_b', 'mem_c', 'mem_d', 'mem_e'].map((member) => h.event(member));
    const plans = await Promise.all(events.map((event) => fanOut.plan(event)));

    // Act
    const failure = await fanOut.queue(plans);

    // Assess: a retry starts at event 2 (index 2), which was queued in part; events 0 and 1 were queued in full
    expect(failure).toMatchObject({ index: 2, error: expect.objectContaining({ message: 'SQS refused the batch' }) });
    expect(queue.calls).toHaveLength(2);
    const queuedIds = new Set(queue.queued.map((m) => ('event' in m ? m.event.id : '')));
    expect([...queuedIds]).toEqual([events[0]!.id, events[1]!.id, events[2]!.id]);
  });

  it('routes a single event as before: every matching endpoint, one call', async () => {
    // Prepare
    const { h, queue, fanOut } = fourEndpoints();

    // Act
    const matched = await fanOut.route(h.event('mem_a'));

    // Assess
    expect(matched).toBe(4);
    expect(queue.calls).toHaveLength(1);
  });
});
