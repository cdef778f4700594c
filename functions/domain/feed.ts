import { table } from '../declaration/topology';
import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import { FEED_SHARDS, keys } from './keys';

/**
 * The event feed: every event of a tenant in one stable global order (commit time, then event id),
 * read from the `feed` index that each outbox event item carries (index keys written in the same
 * transaction as the event). The index is sharded `FEED_SHARDS` ways by member, so one tenant's
 * writes spread over that many index partitions: at DynamoDB's 1,000 write units per second per
 * partition and events under 1 KB, about 32,000 events/s at best and 16,000 events/s sustained with
 * hash skew (docs/decisions/0008-data-sharing.md).
 *
 * The cursor is a single watermark (commit time, event id). Events are served only once they are
 * `FEED_SETTLE_MS` old: an event stamped earlier but committed a little later, or still on its way
 * to the index (eventually consistent), lands before the watermark passes it.
 */

export const FEED_SETTLE_MS = 2_000;
export const FEED_MAX_LIMIT = 500;
export const FEED_MAX_WAIT_SECONDS = 20;
/** How often a long poll reads the index again while it waits. */
export const FEED_POLL_INTERVAL_MS = 500;
/** The feed serves what the outbox keeps: outbox event items expire (TTL) this many days after their event. */
export const FEED_RETENTION_DAYS = table.outboxRetentionDays;

/** An event as stored: the catalogue's shape (validated when it was written). */
export type FeedEvent = Record<string, unknown> & { id: string; type: string; occurredAt: string };

/**
 * Audit events stay out of the feed: they have their own route and retention (`GET /v1/audit-events`),
 * name no member and describe set-up, not activity; webhooks and the lake still carry them.
 */
export const inFeed = (event: { type?: unknown }) =>
  !(typeof event.type === 'string' && event.type.startsWith('audit.'));

/**
 * The `feed` index keys of an outbox event item (none for events that stay out of the feed).
 * @example { ...key, ...event, ...feedIndexKeys(event) }
 */
export function feedIndexKeys(event: {
  tenantId?: unknown;
  id?: unknown;
  occurredAt?: unknown;
  type?: unknown;
  memberId?: unknown;
}): { feedPk?: string; feedSk?: string } {
  const { tenantId, id, occurredAt, memberId } = event;
  if (!inFeed(event) || typeof tenantId !== 'string' || typeof id !== 'string' || typeof occurredAt !== 'string') {
    return {};
  }
  return keys.feedKeys(tenantId, typeof memberId === 'string' ? memberId : id, occurredAt, id);
}

export const feedShards = (tenantId: string) =>
  Array.from({ length: FEED_SHARDS }, (_, shard) => keys.feedShard(tenantId, shard));

/** `points.earned` matches itself; `points.*` every type starting `points.`; `*` everything. */
export function typeMatcher(filter: string | undefined): (type: string) => boolean {
  if (filter === undefined || filter === '*') return () => true;
  if (filter.endsWith('.*')) {
    const prefix = filter.slice(0, -1);
    return (type) => type.startsWith(prefix);
  }
  return (type) => type === filter;
}

/** Any of several filters (a named consumer's list); one filter as `typeMatcher`. */
export function typesMatcher(filters: string | readonly string[] | undefined): (type: string) => boolean {
  if (filters === undefined || typeof filters === 'string') return typeMatcher(filters);
  const matchers = filters.map(typeMatcher);
  return (type) => matchers.some((matches) => matches(type));
}

/** Positions in the global order are index sort keys: `<commit time>#<event id>`. */
export const positionAt = (iso: string, id: string) => `${iso}#${id}`;
/** Sorts after every event of that millisecond. */
export const endOf = (iso: string) => positionAt(iso, '\uffff');
/** Sorts before every event of that millisecond. */
export const startOf = (iso: string) => positionAt(iso, '');
/** ISO times compare as strings only at one precision: `2026-01-01T00:00:00Z` becomes `...00.000Z`. */
export const normalised = (iso: string) => new Date(iso).toISOString();

/** The position just before the first event committed at `iso`: reading from it reads that instant on. */
export const feedPositionBefore = (iso: string) => startOf(normalised(iso));
/** The position just after every event committed up to `iso`. */
export const feedPositionAfter = (iso: string) => endOf(normalised(iso));
/** The commit time a position stands at. */
export const feedPositionTime = (position: string) => position.slice(0, position.indexOf('#'));

export type FeedCursor = { after: string } | { afterSeq: number };

export function encodeFeedCursor(cursor: FeedCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeFeedCursor(cursor: string): FeedCursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new Problem('cursor_invalid');
  }
  if (typeof value === 'object' && value !== null) {
    const { after, afterSeq } = value as Record<string, unknown>;
    if (Object.keys(value).length === 1 && typeof after === 'string' && /^\d{4}-[^#]{1,40}#.{0,200}$/su.test(after)) {
      return { after };
    }
    if (Object.keys(value).length === 1 && Number.isSafeInteger(afterSeq) && (afterSeq as number) >= 0) {
      return { afterSeq: afterSeq as number };
    }
  }
  throw new Problem('cursor_invalid');
}

/** What one shard answered: its events in order, and where it stopped reading when it did not reach the end. */
export interface ShardPage {
  items: { position: string; event: FeedEvent }[];
  /** The position of the last item the shard read (filtered out or not) when more remain. */
  readTo?: string;
}

/**
 * Merges the shards' pages into one page of the global order. Only what every shard has read up to
 * is complete, so the page ends at the lowest point a shard stopped at (or `upTo`); the watermark is
 * the last event served when the page is full, else that point.
 */
export function mergeShardPages(
  pages: ShardPage[],
  upTo: string,
  limit: number,
): { events: FeedEvent[]; watermark: string } {
  const bound = pages.reduce((low, page) => (page.readTo !== undefined && page.readTo < low ? page.readTo : low), upTo);
  const merged = pages
    .flatMap((page) => page.items)
    .filter((item) => item.position <= bound)
    .sort((a, b) => (a.position < b.position ? -1 : a.position > b.position ? 1 : 0))
    .slice(0, limit);
  const last = merged.at(-1);
  const full = merged.length === limit && last !== undefined;
  return { events: merged.map((item) => item.event), watermark: full ? last.position : bound };
}

export interface FeedRequest {
  /** One filter (`points.earned`, `points.*`) or several, any of which lets an event through. */
  type?: string | readonly string[];
  memberId?: string;
  afterSeq?: number;
  from?: string;
  to?: string;
  limit: number;
  cursor?: string;
  /** Long poll: seconds to wait for events when there are none yet. */
  wait?: number;
}

export interface FeedPage {
  items: FeedEvent[];
  nextCursor?: string;
}

/** The reads the feed needs from its index (the adapter does only I/O). */
export interface FeedIndex {
  /** Each shard's events with `after < position <= upTo`, in order, at most `limit` read per shard. */
  readShards(
    tenantId: string,
    query: { after: string; upTo: string; limit: number; matches: (type: string) => boolean },
  ): Promise<ShardPage[]>;
  /** A member's events by seq after `afterSeq`, at most `limit` read; `lastSeq` is the last read when more remain. */
  readMember(
    tenantId: string,
    memberId: string,
    query: { afterSeq: number; limit: number },
  ): Promise<{ events: (FeedEvent & { seq: number })[]; lastSeq?: number }>;
}

/** Reads the feed: the tenant's global order or one member's events by seq, with an optional long poll. */
export class EventFeed {
  constructor(
    private readonly index: FeedIndex,
    private readonly clock: Clock,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async read(tenantId: string, request: FeedRequest): Promise<FeedPage> {
    const deadline = this.clock.now().getTime() + (request.wait ?? 0) * 1000;
    for (;;) {
      const page = await (request.memberId !== undefined
        ? this.memberPage(tenantId, request.memberId, request)
        : this.tenantPage(tenantId, request));
      // A page that ends the requested range has nothing more to wait for.
      if (page.items.length > 0 || page.nextCursor === undefined) return page;
      const left = deadline - this.clock.now().getTime();
      if (left <= 0) return page;
      await this.sleep(Math.min(FEED_POLL_INTERVAL_MS, left));
      request = { ...request, cursor: page.nextCursor };
    }
  }

  private async tenantPage(tenantId: string, request: FeedRequest): Promise<FeedPage> {
    const cursor = request.cursor === undefined ? undefined : decodeFeedCursor(request.cursor);
    if (cursor && !('after' in cursor)) throw new Problem('cursor_invalid');
    const settled = new Date(this.clock.now().getTime() - FEED_SETTLE_MS).toISOString();
    const rangeEnd = request.to === undefined ? undefined : endOf(normalised(request.to));
    const upTo = rangeEnd !== undefined && rangeEnd < endOf(settled) ? rangeEnd : endOf(settled);
    // Sorts before every commit time (and DynamoDB refuses an empty key value).
    const from = request.from === undefined ? '0' : startOf(normalised(request.from));
    const after = cursor && cursor.after > from ? cursor.after : from;
    // A cursor ahead of what has settled (a consumer sought to now) stays where it is: a cursor never goes back.
    if (after >= upTo) return this.pageOf([], after, rangeEnd);
    const pages = await this.index.readShards(tenantId, {
      after,
      upTo,
      limit: request.limit,
      matches: typesMatcher(request.type),
    });
    const { events, watermark } = mergeShardPages(pages, upTo, request.limit);
    return this.pageOf(events, watermark, rangeEnd);
  }

  /** The range ends when the watermark reaches `to`; an open range always hands back a cursor to tail from. */
  private pageOf(items: FeedEvent[], watermark: string, rangeEnd: string | undefined): FeedPage {
    if (rangeEnd !== undefined && watermark >= rangeEnd) return { items };
    return { items, nextCursor: encodeFeedCursor({ after: watermark }) };
  }

  private async memberPage(tenantId: string, memberId: string, request: FeedRequest): Promise<FeedPage> {
    const cursor = request.cursor === undefined ? undefined : decodeFeedCursor(request.cursor);
    if (cursor && !('afterSeq' in cursor)) throw new Problem('cursor_invalid');
    const matches = typesMatcher(request.type);
    const from = request.from === undefined ? undefined : normalised(request.from);
    const to = request.to === undefined ? undefined : normalised(request.to);
    let afterSeq = cursor?.afterSeq ?? request.afterSeq ?? 0;
    const items: FeedEvent[] = [];
    // A member's seq is gap-free and commits in order: reading by seq needs no settle delay.
    for (;;) {
      const read = await this.index.readMember(tenantId, memberId, { afterSeq, limit: request.limit - items.length });
      for (const event of read.events) {
        afterSeq = event.seq;
        const at = normalised(event.occurredAt);
        if (to !== undefined && at > to) return { items };
        if (matches(event.type) && (from === undefined || at >= from)) items.push(event);
      }
      if (read.lastSeq === undefined || items.length >= request.limit) break;
      afterSeq = read.lastSeq;
    }
    return { items, nextCursor: encodeFeedCursor({ afterSeq }) };
  }
}
