import {
  ENDPOINTS_FAILING_AT_ONCE,
  MAX_WAITING_PER_ENDPOINT,
  SQS_FIFO_IN_FLIGHT_LIMIT,
} from '../../functions/domain/webhooks/parking';
import { resetConfigCache, setting } from '../../functions/composition/config';
import { functions, queues } from '../../functions/declaration/topology';

/**
 * SQS FIFO hands out nothing, for every message group, once 120,000 messages of a queue are in
 * flight. The delivery queue is shared by every tenant, so what can be in flight at once must stay
 * far below that: each failing endpoint's waiting messages (at most MAX_WAITING_PER_ENDPOINT, the
 * rest parked in the table) for the number of endpoints the platform is sized to see failing at
 * once, plus what the delivery function holds while it works (concurrency × batch size).
 */
describe('FIFO in-flight bound of the delivery queue', () => {
  it('keeps failing endpoints and the consumer at most half of the queue-wide in-flight limit', () => {
    // Prepare
    const trigger = functions.webhookDelivery.trigger;
    expect(queues[trigger.queue].fifo).toBe(true);

    // Act
    const waiting = MAX_WAITING_PER_ENDPOINT * ENDPOINTS_FAILING_AT_ONCE;
    const processing = trigger.maxConcurrency * trigger.batchSize;

    // Assess
    expect(waiting + processing).toBeLessThanOrEqual(SQS_FIFO_IN_FLIGHT_LIMIT / 2);
  });

  it('lets a deployment lower the per-endpoint bound but never raise it', () => {
    // Prepare
    const saved = process.env.WEBHOOK_MAX_WAITING_PER_ENDPOINT;
    try {
      // Act + Assess
      delete process.env.WEBHOOK_MAX_WAITING_PER_ENDPOINT;
      resetConfigCache();
      expect(setting('WEBHOOK_MAX_WAITING_PER_ENDPOINT')).toBe(MAX_WAITING_PER_ENDPOINT);
      process.env.WEBHOOK_MAX_WAITING_PER_ENDPOINT = String(MAX_WAITING_PER_ENDPOINT + 1);
      resetConfigCache();
      expect(() => setting('WEBHOOK_MAX_WAITING_PER_ENDPOINT')).toThrow(/WEBHOOK_MAX_WAITING_PER_ENDPOINT/);
    } finally {
      if (saved === undefined) delete process.env.WEBHOOK_MAX_WAITING_PER_ENDPOINT;
      else process.env.WEBHOOK_MAX_WAITING_PER_ENDPOINT = saved;
      resetConfigCache();
    }
  });

  it('lets the delivery function queue wake-up copies of parked messages on the delivery queue', () => {
    expect(functions.webhookDelivery.access.sendTo).toContain('webhookDelivery');
  });
});
