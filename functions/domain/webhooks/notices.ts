import { createHash } from 'node:crypto';
import { assertWellFormedEvent, type EventOf, type LoyaltyEvent } from '../events';
import type { DeliveryLog } from './ports';

/**
 * Webhook notices: `webhook.endpoint.disabled` and `webhook.dead_letters.growing`, written to the
 * tenant's outbox (so webhooks, the feed and the lake carry them) for the tenant's other
 * endpoints, a chat channel above all. The endpoint a notice is about never gets it: it is
 * disabled, or failing.
 */

export const WEBHOOK_NOTICE_TYPES = ['webhook.endpoint.disabled', 'webhook.dead_letters.growing'] as const;
type NoticeType = (typeof WEBHOOK_NOTICE_TYPES)[number];

/** Dead-letter counts that raise `webhook.dead_letters.growing`: each crossing once, not each message. */
export const DEAD_LETTER_THRESHOLDS = [10, 100, 1_000, 10_000, 100_000] as const;

export const crossesThreshold = (deadLetters: number): boolean =>
  (DEAD_LETTER_THRESHOLDS as readonly number[]).includes(deadLetters);

/** The endpoint a notice is about (which the fan-out leaves out), or undefined for any other event. */
export function noticeSubject(event: LoyaltyEvent): string | undefined {
  return (WEBHOOK_NOTICE_TYPES as readonly string[]).includes(event.type)
    ? (event as EventOf<NoticeType>).data.subscriptionId
    : undefined;
}

/** A notice's id, from what makes it unique: the same notice built twice is one event. */
const noticeId = (parts: unknown[]) =>
  `ntc_${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;

/**
 * `webhook.endpoint.disabled`, one per disabling (the endpoint's operational `seq` makes it unique).
 * @example endpointDisabledNotice({ tenantId, subscriptionId, reason: 'gone', at: now, seq: 1 })
 */
export function endpointDisabledNotice(input: {
  tenantId: string;
  subscriptionId: string;
  reason: 'gone' | 'failing';
  at: Date;
  seq: number;
  correlationId?: string;
}): EventOf<'webhook.endpoint.disabled'> {
  const disabledAt = input.at.toISOString();
  const event: EventOf<'webhook.endpoint.disabled'> = {
    id: noticeId([input.tenantId, 'webhook.endpoint.disabled', input.subscriptionId, input.seq]),
    version: 1,
    tenantId: input.tenantId,
    occurredAt: disabledAt,
    ...(input.correlationId !== undefined ? { correlationId: input.correlationId } : {}),
    type: 'webhook.endpoint.disabled',
    data: { subscriptionId: input.subscriptionId, reason: input.reason, disabledAt },
  };
  assertWellFormedEvent(event);
  return event;
}

/** `webhook.dead_letters.growing` for a crossing (the crossing's time makes a later crossing after a redrive new). */
export function deadLettersGrowingNotice(input: {
  tenantId: string;
  subscriptionId: string;
  deadLetters: number;
  at: Date;
}): EventOf<'webhook.dead_letters.growing'> {
  const occurredAt = input.at.toISOString();
  return {
    id: noticeId([input.tenantId, 'webhook.dead_letters.growing', input.subscriptionId, input.deadLetters, occurredAt]),
    version: 1,
    tenantId: input.tenantId,
    occurredAt,
    type: 'webhook.dead_letters.growing',
    data: { subscriptionId: input.subscriptionId, deadLetters: input.deadLetters },
  };
}

/** Counts an endpoint's dead letters (a redrive takes them off again): the count after this one. */
export interface DeadLetterCounter {
  countDeadLetter(tenantId: string, subscriptionId: string): Promise<number>;
}

/** Writes a notice to the tenant's outbox. */
export type NoticeWriter = (event: LoyaltyEvent) => Promise<void>;

/**
 * The delivery log, counting each dead letter it records and writing `webhook.dead_letters.growing`
 * when the count reaches a threshold (one worker reaches each count, so each crossing is written
 * once). A wrapper, so the delivery service itself is unchanged.
 */
export function countingDeadLetters(
  log: DeliveryLog,
  counter: DeadLetterCounter,
  write: NoticeWriter,
  now: () => Date,
): DeliveryLog {
  const counted = async (tenantId: string, subscriptionId: string) => {
    const deadLetters = await counter.countDeadLetter(tenantId, subscriptionId);
    if (crossesThreshold(deadLetters))
      await write(deadLettersGrowingNotice({ tenantId, subscriptionId, deadLetters, at: now() }));
  };
  return Object.assign(Object.create(log) as DeliveryLog, {
    recordAttempt: async (input: Parameters<DeliveryLog['recordAttempt']>[0]) => {
      const result = await log.recordAttempt(input);
      if (result === 'recorded' && input.outcome === 'dead')
        await counted(input.message.tenantId, input.message.subscriptionId);
      return result;
    },
    markDead: async (...args: Parameters<DeliveryLog['markDead']>) => {
      const result = await log.markDead(...args);
      if (result === 'recorded') await counted(args[0].tenantId, args[0].subscriptionId);
      return result;
    },
  });
}
