import * as z from '../shared/zod';
import { Problem } from '../shared/problem';
import { FEED_RETENTION_DAYS } from './feed';

/**
 * Backfills: a tenant re-sends a time range of its events to the lake, slice by slice, in event-time order and at a
 * bounded rate (docs/decisions/0008-data-sharing.md, "Backfill"). The rules here are pure: what a request may ask,
 * how much one slice sends, how long the next slice waits, and what a redelivered message may still do.
 */

/**
 * Where a backfill sends events. `feed`: outbox events of the range written before the feed index existed get its
 * keys (found member by member, outside the index); `lake`: the range is re-sent to the lake. With both, the feed
 * runs first, so the lake then reads those events from the index too.
 */
export const BACKFILL_TARGETS = ['lake', 'feed'] as const;
export type BackfillTarget = (typeof BACKFILL_TARGETS)[number];

export const BACKFILL_DEFAULT_RATE = 100;
export const BACKFILL_MAX_RATE = 1_000;
/** One slice sends about this many seconds' worth of the rate, then the next waits out the rest. */
export const BACKFILL_SLICE_SECONDS = 10;
export const BACKFILL_SLICE_MAX_EVENTS = 5_000;
/** A slice stops reading after this long whatever it sent (the function's timeout is 120 s). */
export const BACKFILL_SLICE_BUDGET_MS = 30_000;
/** Events read from the feed index per page (spread over its shards). */
export const BACKFILL_PAGE_EVENTS = 500;
/**
 * Lake partitions (tenant, date, hour) one backfill may open per Firehose buffer interval: each event hour it
 * touches is one. 10 per buffer interval keeps one backfill at 2 % of the 500-partition quota.
 */
export const BACKFILL_HOURS_PER_BUFFER = 10;
/** Members a feed slice looks through (one query each, plus one write per event it indexes). */
export const BACKFILL_MEMBERS_PER_SLICE = 100;
/** SQS's longest message delay. */
export const BACKFILL_MAX_DELAY_SECONDS = 900;
/**
 * A message older than the record's last progress by this much, for the slice just recorded, finds the chain broken
 * (its function stopped between recording and sending the next message) and sends it again. Longer than a slice can
 * take, so a duplicate running beside a live slice never doubles the chain.
 */
export const BACKFILL_RECHAIN_AFTER_MS = 180_000;

export const BACKFILL_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type BackfillStatus = (typeof BACKFILL_STATUSES)[number];
export const isActive = (status: BackfillStatus) => status === 'queued' || status === 'running';

export const backfillRequest = z.strictObject({
  from: z.iso
    .datetime({ offset: true })
    .check(z.describe('Start of the range (inclusive), within the feed’s retention')),
  to: z.iso.datetime({ offset: true }).check(z.describe('End of the range (inclusive), not in the future')),
  targets: z._default(z.array(z.enum(BACKFILL_TARGETS)).check(z.minLength(1)), ['lake']).check(
    z.refine((targets) => new Set(targets).size === targets.length, 'targets must not repeat'),
    z.describe('Where to re-send the events'),
  ),
  ratePerSecond: z
    ._default(z.number().check(z.int(), z.gte(1), z.lte(BACKFILL_MAX_RATE)), BACKFILL_DEFAULT_RATE)
    .check(z.describe('Events sent per second at most')),
});
export type BackfillRequest = z.output<typeof backfillRequest>;

/** A backfill as stored: its request, its status and how far it got. */
export interface Backfill {
  backfillId: string;
  tenantId: string;
  from: string;
  to: string;
  targets: BackfillTarget[];
  ratePerSecond: number;
  status: BackfillStatus;
  /** Events sent to the lake so far, each counted once (a redelivered slice adds nothing). */
  eventsSent: number;
  /** Outbox events given feed index keys (target `feed`). */
  eventsIndexed: number;
  /** Where the feed target's walk over the tenant's members is (shard, last member id); absent: done or not asked. */
  memberCursor?: MemberCursor;
  /** The slice the next message must carry: progress is recorded only by the message of this slice. */
  slice: number;
  /** The last slice whose follow-up message was sent. */
  chainedSlice: number;
  /** Feed index position (`<occurredAt>#<eventId>`) the next slice reads after. */
  position: string;
  /** `occurredAt` of the last event sent. */
  lastEventAt?: string;
  requestedBy: { kind: 'operator' | 'tenant'; credentialId: string };
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  errors: string[];
}

/** A position in the walk over a tenant's members: the `members` index shard and the last member id seen in it. */
export interface MemberCursor {
  shard: number;
  after?: string;
}

/** The message that runs one slice: `slice` must equal the record's to do anything. */
export interface BackfillMessage {
  tenantId: string;
  backfillId: string;
  slice: number;
}

const DAY_MS = 86_400_000;

/** Refuses a range that ends in the future, runs backwards or starts before the feed's retention. */
export function checkRange(request: Pick<BackfillRequest, 'from' | 'to'>, now: Date): { from: string; to: string } {
  const from = new Date(request.from);
  const to = new Date(request.to);
  const errors: { path: string; message: string }[] = [];
  if (to.getTime() > now.getTime()) errors.push({ path: 'to', message: 'must not be in the future' });
  if (from.getTime() > to.getTime()) errors.push({ path: 'from', message: 'must not be after to' });
  if (from.getTime() < now.getTime() - FEED_RETENTION_DAYS * DAY_MS) {
    errors.push({
      path: 'from',
      message: `must be within the last ${FEED_RETENTION_DAYS} days (the outbox’s retention)`,
    });
  }
  if (errors.length > 0) throw new Problem('validation_failed', 'The range cannot be backfilled', { errors });
  return { from: from.toISOString(), to: to.toISOString() };
}

/** Events one slice may send at a rate. */
export const sliceEventBudget = (ratePerSecond: number) =>
  Math.min(ratePerSecond * BACKFILL_SLICE_SECONDS, BACKFILL_SLICE_MAX_EVENTS);

/** The lake partition an event lands in, beside its tenant: its date and hour. */
export const eventHour = (occurredAt: string) => new Date(occurredAt).toISOString().slice(0, 13);

/**
 * The leading events of a page a slice may still send: at most `maxEvents`, and none that would open more than
 * `BACKFILL_HOURS_PER_BUFFER` event hours in the slice (`hours`, updated in place). The first event always goes, so a
 * slice always moves on.
 */
export function takeForSlice<E extends { occurredAt: string }>(
  events: E[],
  maxEvents: number,
  hours: Set<string>,
): E[] {
  const taken: E[] = [];
  for (const event of events) {
    if (taken.length >= maxEvents) break;
    const hour = eventHour(event.occurredAt);
    if (!hours.has(hour) && hours.size >= BACKFILL_HOURS_PER_BUFFER) break;
    hours.add(hour);
    taken.push(event);
  }
  return taken;
}

/**
 * Seconds before the next slice: long enough that the slice's events average at most the rate, and that the event
 * hours it opened stay within `BACKFILL_HOURS_PER_BUFFER` per Firehose buffer interval (the stage's
 * `lakeBuffering`); less what the slice took.
 * @example nextDelaySeconds({ sent: 1000, hours: 1, elapsedMs: 2000, ratePerSecond: 100, bufferSeconds: 60 }) // 8
 */
export function nextDelaySeconds(slice: {
  sent: number;
  hours: number;
  elapsedMs: number;
  ratePerSecond: number;
  bufferSeconds: number;
}) {
  const forRate = slice.sent / slice.ratePerSecond;
  const forPartitions = (slice.hours * slice.bufferSeconds) / BACKFILL_HOURS_PER_BUFFER;
  const wait = Math.ceil(Math.max(forRate, forPartitions) - slice.elapsedMs / 1000);
  // A slice that found nothing settled yet (the range ends within seconds of now) waits a second, not none.
  return Math.min(Math.max(wait, slice.sent === 0 ? 1 : 0), BACKFILL_MAX_DELAY_SECONDS);
}

/**
 * What a message does with the record it finds: run its slice; send the follow-up of the slice just recorded when
 * the function that recorded it evidently stopped before sending it; or nothing (finished, cancelled, or a copy of
 * a message whose slice is done and chained).
 */
export function messageAction(record: Backfill | null, message: BackfillMessage, nowMs: number) {
  if (!record || !isActive(record.status)) return 'drop' as const;
  if (record.slice === message.slice) return 'run' as const;
  const unchained = record.slice === message.slice + 1 && record.chainedSlice < record.slice;
  const quiet = nowMs - new Date(record.updatedAt).getTime() >= BACKFILL_RECHAIN_AFTER_MS;
  return unchained && quiet ? ('rechain' as const) : ('drop' as const);
}
