import type { Clock } from '../shared/clock';
import { logger } from '../shared/logger';
import {
  BACKFILL_MEMBERS_PER_SLICE,
  BACKFILL_PAGE_EVENTS,
  BACKFILL_SLICE_BUDGET_MS,
  messageAction,
  nextDelaySeconds,
  sliceEventBudget,
  takeForSlice,
  type Backfill,
  type BackfillMessage,
  type MemberCursor,
} from './backfill';
import { endOf, FEED_SETTLE_MS, mergeShardPages, positionAt, type FeedEvent, type FeedIndex } from './feed';
import { FEED_SHARDS, MEMBER_LIST_SHARDS } from './keys';

/** What one slice recorded: the record moves from `slice` to `slice + 1` only if it is still at `slice`. */
export interface SliceProgress {
  slice: number;
  position: string;
  eventsAdded: number;
  lastEventAt?: string;
  /** Feed target: events given index keys, and where the walk over members goes on (null: it is done). */
  feed?: { eventsIndexed: number; memberCursor: MemberCursor | null };
  done: boolean;
  at: string;
}

/** The backfill records (adapters/dynamo-backfill-store.ts). */
export interface BackfillStore {
  /** Refuses (`backfill_active`) while the tenant has a queued or running backfill. */
  create(backfill: Backfill): Promise<void>;
  get(tenantId: string, backfillId: string): Promise<Backfill | null>;
  /** The tenant's queued or running backfill, if any. */
  active(tenantId: string): Promise<Backfill | null>;
  list(tenantId: string, page: { limit: number; cursor?: string }): Promise<{ items: Backfill[]; nextCursor?: string }>;
  /** False when the record is no longer at `progress.slice` or no longer active (another copy won, or cancelled). */
  recordSlice(tenantId: string, backfillId: string, progress: SliceProgress): Promise<boolean>;
  /** Notes that the follow-up message of `slice` was sent. */
  markChained(tenantId: string, backfillId: string, slice: number): Promise<void>;
  /** Ends an active backfill (`cancelled` or `failed`), noting why; null when it was not active. */
  finish(
    tenantId: string,
    backfillId: string,
    end: { status: 'cancelled' | 'failed'; at: string; error?: string },
  ): Promise<Backfill | null>;
}

/** The backfill queue: one message per slice, delayed to keep the rate. */
export interface BackfillQueue {
  schedule(message: BackfillMessage, delaySeconds: number): Promise<void>;
}

/** The feed target's reads and writes outside the index (adapters/dynamo-feed-backfill.ts). */
export interface FeedBackfill {
  /** Member ids of a `members` index shard after `after`, in id order, at most `limit`; `more` if the shard goes on. */
  members(
    tenantId: string,
    shard: number,
    after: string | undefined,
    limit: number,
  ): Promise<{ memberIds: string[]; more: boolean }>;
  /** Gives the member's outbox events of the range that lack them the feed index keys; answers how many it gave. */
  indexMember(tenantId: string, memberId: string, range: { from: string; to: string }): Promise<number>;
}

/** Sends events to the lake under the tenant's current lake settings; throws when some were not taken. */
export type LakeEventSender = (events: FeedEvent[]) => Promise<void>;

/** Tries per slice before the backfill fails (the queue's redrive is the backstop for a crash). */
export const BACKFILL_SLICE_ATTEMPTS = 4;

/**
 * Runs backfill slices: reads the range from the feed index in event-time order (the merged shards), sends each
 * slice to the lake, records progress with a conditional update and chains the next slice with a delay that keeps
 * the rate. A redelivered message finds the record moved on and does nothing, so nothing is counted twice.
 */
export class BackfillRunner {
  constructor(
    private readonly store: BackfillStore,
    private readonly index: FeedIndex,
    private readonly sendToLake: LakeEventSender,
    private readonly queue: BackfillQueue,
    private readonly clock: Clock,
    private readonly feed: FeedBackfill,
    /** The stage's Firehose buffer interval: the next slice waits for the partitions this one opened. */
    private readonly lakeBufferSeconds: number,
  ) {}

  async run(message: BackfillMessage, receiveCount: number): Promise<void> {
    const record = await this.store.get(message.tenantId, message.backfillId);
    const action = messageAction(record, message, this.clock.now().getTime());
    if (action === 'drop' || !record) return;
    if (action === 'rechain') {
      logger.warn('Backfill chain resumed after a stop', { backfillId: record.backfillId, slice: record.slice });
      await this.chain(record, record.slice, 0);
      return;
    }
    try {
      await (record.memberCursor ? this.runFeedSlice(record, record.memberCursor) : this.runSlice(record));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (receiveCount < BACKFILL_SLICE_ATTEMPTS) throw error;
      logger.error('Backfill failed', { backfillId: record.backfillId, slice: record.slice, reason });
      const at = this.clock.now().toISOString();
      await this.store.finish(record.tenantId, record.backfillId, { status: 'failed', at, error: reason });
    }
  }

  private async runSlice(record: Backfill): Promise<void> {
    const startedMs = this.clock.now().getTime();
    const rangeEnd = endOf(record.to);
    const budget = sliceEventBudget(record.ratePerSecond);
    const hours = new Set<string>();
    let position = record.position;
    let sent = 0;
    let lastEventAt: string | undefined;
    let done = false;
    for (;;) {
      const settled = endOf(new Date(this.clock.now().getTime() - FEED_SETTLE_MS).toISOString());
      const upTo = rangeEnd < settled ? rangeEnd : settled;
      const page = await this.readPage(record.tenantId, position, upTo, Math.min(BACKFILL_PAGE_EVENTS, budget - sent));
      const taken = takeForSlice(page.events, budget - sent, hours);
      if (taken.length > 0) await this.sendToLake(taken);
      sent += taken.length;
      const last = taken.at(-1);
      if (last) lastEventAt = last.occurredAt;
      if (last && taken.length < page.events.length) {
        position = positionAt(last.occurredAt, last.id);
        break;
      }
      position = page.watermark;
      done = position >= rangeEnd;
      const spent = this.clock.now().getTime() - startedMs;
      if (done || page.events.length === 0 || sent >= budget || spent >= BACKFILL_SLICE_BUDGET_MS) break;
    }
    const at = this.clock.now().toISOString();
    const progress = {
      slice: record.slice,
      position,
      eventsAdded: sent,
      done,
      at,
      ...(lastEventAt ? { lastEventAt } : {}),
    };
    if (!(await this.store.recordSlice(record.tenantId, record.backfillId, progress))) return;
    if (done) return;
    const elapsedMs = this.clock.now().getTime() - startedMs;
    await this.chain(
      record,
      record.slice + 1,
      nextDelaySeconds({ sent, hours: hours.size, elapsedMs, ...record, bufferSeconds: this.lakeBufferSeconds }),
    );
  }

  /**
   * A slice of the feed target: walks the tenant's members (the `members` index, shard by shard) and gives each one's
   * outbox events of the range the feed index keys they lack. The lake target, if asked, starts once the index has
   * settled, so it reads those events too.
   */
  private async runFeedSlice(record: Backfill, start: MemberCursor): Promise<void> {
    const startedMs = this.clock.now().getTime();
    const range = { from: record.from, to: record.to };
    let cursor: MemberCursor | undefined = start;
    let members = 0;
    let indexed = 0;
    while (cursor && members < BACKFILL_MEMBERS_PER_SLICE) {
      if (this.clock.now().getTime() - startedMs >= BACKFILL_SLICE_BUDGET_MS) break;
      const { shard, after }: MemberCursor = cursor;
      const page = await this.feed.members(record.tenantId, shard, after, BACKFILL_MEMBERS_PER_SLICE - members);
      for (const memberId of page.memberIds) indexed += await this.feed.indexMember(record.tenantId, memberId, range);
      members += page.memberIds.length;
      const last = page.memberIds.at(-1);
      if (page.more && last) cursor = { shard, after: last };
      else cursor = shard + 1 < MEMBER_LIST_SHARDS ? { shard: shard + 1 } : undefined;
    }
    const done = cursor === undefined && !record.targets.includes('lake');
    const progress = {
      slice: record.slice,
      position: record.position,
      eventsAdded: 0,
      feed: { eventsIndexed: indexed, memberCursor: cursor ?? null },
      done,
      at: this.clock.now().toISOString(),
    };
    if (!(await this.store.recordSlice(record.tenantId, record.backfillId, progress)) || done) return;
    const elapsedMs = this.clock.now().getTime() - startedMs;
    const delay = nextDelaySeconds({
      sent: indexed,
      hours: 0,
      elapsedMs,
      ratePerSecond: record.ratePerSecond,
      bufferSeconds: this.lakeBufferSeconds,
    });
    // The index is eventually consistent: the lake target reads it once the new keys have settled.
    await this.chain(record, record.slice + 1, cursor ? delay : Math.max(delay, Math.ceil(FEED_SETTLE_MS / 1000)));
  }

  private async chain(record: Backfill, slice: number, delaySeconds: number): Promise<void> {
    await this.queue.schedule({ tenantId: record.tenantId, backfillId: record.backfillId, slice }, delaySeconds);
    await this.store.markChained(record.tenantId, record.backfillId, slice);
  }

  /**
   * One page of the range in the global order. Each shard reads about its share of the page (twice it, for hash
   * skew) rather than the whole page, so a page reads about 2 × `limit` items instead of 16 × `limit`.
   */
  private async readPage(tenantId: string, after: string, upTo: string, limit: number) {
    if (after >= upTo) return { events: [] as FeedEvent[], watermark: after };
    const perShard = Math.max(2, Math.ceil((2 * limit) / FEED_SHARDS));
    const pages = await this.index.readShards(tenantId, { after, upTo, limit: perShard, matches: () => true });
    return mergeShardPages(pages, upTo, limit);
  }
}
