import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import { Problem } from '../shared/problem';
import { checkRange, isActive, type Backfill, type BackfillRequest } from './backfill';
import type { BackfillQueue, BackfillStore } from './backfill-runner';
import { actorOf, type Principal } from './credentials';
import { startOf } from './feed';

/** Requests, lists and cancels backfills; the runner (backfill-runner.ts) does the sending. */
export class BackfillService {
  constructor(
    private readonly store: BackfillStore,
    private readonly queue: BackfillQueue,
    private readonly clock: Clock,
  ) {}

  /**
   * Records the backfill and queues its first slice now. While another is active the request is refused, unless it
   * asks for exactly that one (range, targets, rate): then the answer is the active one (`created: false`), so a
   * retried request starts nothing twice.
   */
  async request(
    tenantId: string,
    principal: Principal,
    request: BackfillRequest,
  ): Promise<{ backfill: Backfill; created: boolean }> {
    const now = this.clock.now();
    const { from, to } = checkRange(request, now);
    const at = now.toISOString();
    const backfill: Backfill = {
      backfillId: newId('bkf', now.getTime()),
      tenantId,
      from,
      to,
      targets: request.targets,
      ratePerSecond: request.ratePerSecond,
      status: 'queued',
      eventsSent: 0,
      eventsIndexed: 0,
      ...(request.targets.includes('feed') ? { memberCursor: { shard: 0 } } : {}),
      slice: 0,
      chainedSlice: 0,
      position: startOf(from),
      requestedBy: actorOf(principal),
      createdAt: at,
      updatedAt: at,
      errors: [],
    };
    // Twice at most: the active one may end between the refused write and the read of it.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store.create(backfill);
        break;
      } catch (error) {
        if (!(error instanceof Problem && error.code === 'backfill_active')) throw error;
        const active = await this.store.active(tenantId);
        if (active && sameRequest(active, backfill)) return { backfill: active, created: false };
        if (active || attempt === 2) throw error;
      }
    }
    await this.queue.schedule({ tenantId, backfillId: backfill.backfillId, slice: 0 }, 0);
    return { backfill, created: true };
  }

  async get(tenantId: string, backfillId: string): Promise<Backfill> {
    const backfill = await this.store.get(tenantId, backfillId);
    if (!backfill) throw new Problem('backfill_not_found');
    return backfill;
  }

  list(tenantId: string, page: { limit: number; cursor?: string }) {
    return this.store.list(tenantId, page);
  }

  /** Stops the chain: the next slice finds the backfill cancelled and sends nothing more. */
  async cancel(tenantId: string, backfillId: string): Promise<Backfill> {
    const existing = await this.get(tenantId, backfillId);
    if (!isActive(existing.status)) throw new Problem('backfill_finished');
    const at = this.clock.now().toISOString();
    const cancelled = await this.store.finish(tenantId, backfillId, { status: 'cancelled', at });
    // It ended between the read and the write.
    if (!cancelled) throw new Problem('backfill_finished');
    return cancelled;
  }
}

const sameRequest = (a: Backfill, b: Backfill) =>
  a.from === b.from &&
  a.to === b.to &&
  a.ratePerSecond === b.ratePerSecond &&
  [...a.targets].sort().join() === [...b.targets].sort().join();
