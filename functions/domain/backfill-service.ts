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

  /** Records the backfill (refused while another is active) and queues its first slice now. */
  async request(tenantId: string, principal: Principal, request: BackfillRequest): Promise<Backfill> {
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
    await this.store.create(backfill);
    await this.queue.schedule({ tenantId, backfillId: backfill.backfillId, slice: 0 }, 0);
    return backfill;
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
