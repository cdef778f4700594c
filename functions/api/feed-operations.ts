import * as z from '../shared/zod';
import { loyaltyEvent } from '../domain/events';
import { FEED_MAX_LIMIT, FEED_MAX_WAIT_SECONDS, FEED_RETENTION_DAYS, FEED_SETTLE_MS, inFeed } from '../domain/feed';
import type { Operation } from './operation-kit';
import { readOperation } from './operation-shapes';

/** An event type, or a prefix of types ending `.*`, or `*`. */
export const eventTypeFilter = z
  .string()
  .check(z.regex(/^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$/, 'an event type, or a prefix of one ending `.*`, e.g. points.*'));

/** A page of the feed and its long poll: the same for the feed and for a named consumer's reads. */
export const feedPaging = {
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(FEED_MAX_LIMIT)), 100),
  wait: z
    .optional(z.coerce.number().check(z.int(), z.gte(0), z.lte(FEED_MAX_WAIT_SECONDS)))
    .check(z.describe('Long poll: when there are no events yet, wait up to this many seconds for one')),
};

export const feedQuery = z
  .strictObject({
    limit: feedPaging.limit,
    cursor: z
      .optional(z.string().check(z.minLength(1), z.maxLength(1024)))
      .check(z.describe('`nextCursor` of the previous page')),
    type: z
      .optional(eventTypeFilter)
      .check(z.describe('Only this event type, or with a wildcard every type under a prefix, e.g. `points.*`')),
    memberId: z
      .optional(z.string().check(z.minLength(1), z.maxLength(128)))
      .check(z.describe("Only this member's events, in its own order (`seq`)")),
    afterSeq: z
      .optional(z.coerce.number().check(z.int(), z.gte(0)))
      .check(z.describe('With `memberId`: replay the member’s events after this seq')),
    from: z.optional(z.iso.datetime()).check(z.describe('Events committed at or after this instant')),
    to: z
      .optional(z.iso.datetime())
      .check(z.describe('Events committed at or before this instant; the last page has no cursor')),
    wait: feedPaging.wait,
  })
  .check(
    z.refine((query) => query.afterSeq === undefined || query.memberId !== undefined, {
      error: 'afterSeq needs memberId',
      path: ['afterSeq'],
    }),
  );

const feedEventResponse = z
  .union(loyaltyEvent.def.options.filter((option) => inFeed({ type: z.literalValue(option.shape.type) })))
  .check(z.describe('An event, as the event catalogue defines it'));

export const feedOperations: Operation[] = [
  readOperation({
    path: '/v1/events',
    operationId: 'listEvents',
    summary:
      "The tenant's event feed: every event (audit events aside) in one stable order, commit time then event id, " +
      `served once ${FEED_SETTLE_MS / 1000} s old so the order never changes behind a cursor; kept ` +
      `${FEED_RETENTION_DAYS} days. With \`memberId\`, that member's events by seq. Tail it with \`nextCursor\` ` +
      'and `wait`',
    tag: 'Events',
    scope: 'events:read',
    query: feedQuery,
    ok: {
      description: 'A page of events, oldest first',
      schema: z.object({
        items: z.array(feedEventResponse),
        nextCursor: z
          .optional(z.string())
          .check(
            z.describe('Pass as `cursor` for the next events (always given, unless the `to` range has been read)'),
          ),
      }),
    },
    read: async ({ tenantId, services }, query) => services.feed.read(tenantId, query),
  }),
];
