import type { Clock } from '../../shared/clock';
import type { QueuedDelivery } from './message';
import type { DeliveryLog, DeliveryQueue, DeliveryRecord } from './ports';

/**
 * Replays and redrives: a logged message is sent again with the same webhook-id and a fresh
 * retry schedule (a new round; copies of older rounds become stale). A message still on its
 * schedule is not replayed (it would only queue behind itself).
 */

/**
 * A round not attempted this long after it started was never queued (the call that started it failed): it may start
 * again.
 */
export const STUCK_ROUND_MS = 15 * 60_000;

/** Failing and freshly replayed messages are still on their schedule: a replay would only queue behind them. */
export const isInFlight = (message: DeliveryRecord, now: Date): boolean =>
  message.status === 'failing' ||
  (message.status === 'pending' &&
    (message.roundStartedAt === undefined || now.getTime() - Date.parse(message.roundStartedAt) < STUCK_ROUND_MS));

/** What a replay of a range or a redrive came to. */
export interface ReplayResult {
  queued: number;
  skipped: number;
  nextCursor?: string;
}

/**
 * Starts new rounds and queues them, for one message, a time range or the dead letters of an
 * endpoint. The caller has checked that the endpoint exists and is enabled.
 */
export class ReplayService {
  constructor(private readonly deps: { log: DeliveryLog; queue: DeliveryQueue; clock: Clock }) {}

  /** One message: `not_found`, `in_flight` (still on its schedule), or how many were queued (0 or 1). */
  async replayOne(
    tenantId: string,
    subscriptionId: string,
    eventId: string,
  ): Promise<'not_found' | 'in_flight' | ReplayResult> {
    const current = await this.deps.log.getMessage(tenantId, subscriptionId, eventId);
    if (!current) return 'not_found';
    if (isInFlight(current, this.deps.clock.now())) return 'in_flight';
    const queued = await this.startRounds(tenantId, subscriptionId, [eventId]);
    return { queued, skipped: 1 - queued };
  }

  /**
   * The messages whose events occurred in [from, to], oldest first, one page; those still on their schedule are
   * skipped.
   */
  async replayRange(
    tenantId: string,
    subscriptionId: string,
    range: { from: string; to: string; status?: DeliveryRecord['status']; limit: number; cursor?: string },
  ): Promise<ReplayResult> {
    const page = await this.deps.log.listMessages(tenantId, subscriptionId, {
      from: range.from,
      to: range.to,
      ...(range.status ? { status: range.status } : {}),
      order: 'asc',
      limit: range.limit,
      ...(range.cursor ? { cursor: range.cursor } : {}),
    });
    const eligible = page.items
      .filter((message) => !isInFlight(message, this.deps.clock.now()))
      .map((message) => message.eventId);
    const queued = await this.startRounds(tenantId, subscriptionId, eligible);
    return { queued, skipped: page.items.length - queued, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
  }

  /** Up to `limit` dead letters, oldest first; `more` when others remain. */
  async redrive(tenantId: string, subscriptionId: string, limit: number): Promise<{ queued: number; more: boolean }> {
    const page = await this.deps.log.listDeadLetters(tenantId, subscriptionId, { limit });
    const queued = await this.startRounds(
      tenantId,
      subscriptionId,
      page.items.map((letter) => letter.eventId),
    );
    return { queued, more: page.nextCursor !== undefined };
  }

  /** Starts a new round for each message (in order) and queues them; returns how many were queued. */
  private async startRounds(tenantId: string, subscriptionId: string, eventIds: string[]): Promise<number> {
    const now = this.deps.clock.now();
    let queued = 0;
    // Ten at a time, each chunk queued right after its rounds start (a failure leaves at most one
    // chunk started but not queued, which may be replayed again later), in order: a member's
    // messages are queued in the order they were sent.
    for (let i = 0; i < eventIds.length; i += 10) {
      const chunk = await Promise.all(
        eventIds.slice(i, i + 10).map((eventId) => this.deps.log.startRound(tenantId, subscriptionId, eventId, now)),
      );
      const messages = chunk.filter(
        (message): message is QueuedDelivery & NonNullable<typeof message> => message !== null,
      );
      await this.deps.queue.enqueue(messages);
      queued += messages.length;
    }
    return queued;
  }
}
