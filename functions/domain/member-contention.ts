import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import type { Balance } from './ledger';
import type { LedgerStore } from './ports';

/** A queue holder that has not handed on its turn for this long is skipped (it crashed or timed out). */
const QUEUE_LEASE_MS = 2_000;
/** Rough time one queued writer holds its turn; waiters sleep about (writers ahead × this). */
const TURN_ESTIMATE_MS = 20;
const BACKOFF_CAP_MS = 100;

/** Full-jitter exponential backoff: contenders spread out instead of colliding again at once. */
export const backoff = (attempt: number) => sleep(Math.random() * Math.min(BACKOFF_CAP_MS, 2 * 2 ** attempt));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A member's contention queue (a ticket lock kept in the store). A writer that lost a race takes a
 * ticket and waits for its turn instead of racing again, so N concurrent writers cost about N
 * commits instead of N² attempts. The clock must be the one the store stamps `servedAt` with.
 */
export class MemberQueue {
  constructor(
    private readonly store: Pick<LedgerStore, 'takeTicket' | 'queueState' | 'advanceQueue'>,
    private readonly clock: Clock,
  ) {}

  /** Takes the member's next ticket. */
  take(tenantId: string, memberId: string): Promise<number> {
    return this.store.takeTicket(tenantId, memberId);
  }

  /**
   * Waits until the member's queue serves `ticket`, skipping a holder that stopped making
   * progress, and returns the balance as of that turn. Waiters sleep about as long as the writers
   * ahead of them need, at the service rate they observe, so a long queue costs a few reads per
   * waiter, not a read per waiter per tick.
   */
  async waitForTurn(tenantId: string, memberId: string, ticket: number, deadlineMs: number): Promise<Balance | null> {
    let first: { serving: number; atMs: number } | undefined;
    for (;;) {
      const queue = await this.store.queueState(tenantId, memberId);
      // Served: the balance of the same read is current (the previous holder committed before handing over).
      if (queue.nowServing >= ticket) return queue.balance;
      if (this.nowMs() - Date.parse(queue.servedAt) > QUEUE_LEASE_MS) {
        await this.store.advanceQueue(tenantId, memberId, queue.nowServing);
        continue;
      }
      if (this.nowMs() >= deadlineMs) throw new Problem('concurrent_update');
      first ??= { serving: queue.nowServing, atMs: this.nowMs() };
      const served = queue.nowServing - first.serving;
      const perTurnMs = served > 0 ? (this.nowMs() - first.atMs) / served : TURN_ESTIMATE_MS;
      const ahead = ticket - queue.nowServing;
      // The next in line watches closely so the hand-over is quick; the rest sleep until near their turn.
      // Polls are reads the store must also serve, so even the next in line polls only a few times a turn.
      await sleep(Math.min(2_000, Math.max(5, (ahead - 0.6) * perTurnMs * (0.8 + Math.random() * 0.2))));
    }
  }

  /** Hands the turn to the next ticket; a failure only delays the next writer until the lease runs out. */
  async handOn(tenantId: string, memberId: string, ticket: number): Promise<void> {
    await this.store.advanceQueue(tenantId, memberId, ticket).catch(() => undefined);
  }

  private nowMs(): number {
    return this.clock.now().getTime();
  }
}
