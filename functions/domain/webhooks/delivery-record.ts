import { subjectOf, type DeadReason, type DeliveryMessage } from './message';
import type { AttemptToRecord, DeadLetter, DeliveryRecord } from './ports';

/**
 * What an attempt changes in its message's log record: the fields it sets (undefined ones are
 * removed), and why the message died when this attempt was its last. Every delivery log writes
 * these, so the API shows the same record whichever log holds it.
 */
export function afterAttempt(input: AttemptToRecord): { fields: Partial<DeliveryRecord>; deadReason?: DeadReason } {
  const { attempt, outcome } = input;
  return {
    fields: {
      status: outcome,
      roundAttempts: input.roundAttempts,
      attempts: input.attemptNumber,
      lastAttemptAt: attempt.at,
      lastStatus: attempt.status,
      lastError: attempt.error,
      nextAttemptAt: input.nextAttemptAt,
      deliveredAt: outcome === 'delivered' ? attempt.at : undefined,
    },
    ...(outcome === 'dead' ? { deadReason: input.deadReason ?? 'attempts_exhausted' } : {}),
  };
}

/** The dead letter of a message that died at `deadAt`, as an endpoint's dead-letter list shows it. */
export function deadLetterOf(message: DeliveryMessage, deadAt: string, reason: DeadReason): DeadLetter {
  const subject = subjectOf(message);
  return { eventId: subject.id, eventType: subject.type, occurredAt: subject.occurredAt, deadAt, reason };
}
