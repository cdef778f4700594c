import { z } from 'zod';
import { loyaltyEvent } from '../domain/events';
import { FEED_MAX_LIMIT, FEED_MAX_WAIT_SECONDS, FEED_RETENTION_DAYS, FEED_SETTLE_MS, inFeed } from '../domain/feed';
import type { Operation } from './operation-kit';
import { readOperation } from './operation-shapes';

/** An event type, or a prefix of types ending `.*`, or `*`. */
export const eventTypeFilter = z
  .string()
  .regex(/^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$/, 'an event type, or a prefix of one ending `.*`, e.g. points.*');

/** A page of the feed and its long poll: the same for the feed and for a named consumer's reads. */
export const feedPaging = {
  limit: z.coerce.number().int().min(1).max(FEED_MAX_LIMIT).default(100),
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(FEED_MAX_WAIT_SECONDS)
    .optional()
    .describe('Long poll: when there are no events yet, wait up to this many seconds for one'),
};

export const feedQuery = z
  .object({
    limit: feedPaging.limit,
    cursor: z.string().min(1).max(1024).optional().describe('`nextCursor` of the previous page'),
    type: eventTypeFilter
      .optional()
      .describe('Only this event type, or with a wildcard every type under a prefix, e.g. `points.*`'),
    memberId: z.string().min(1).max(128).optional().describe("Only this member's events, in its own order (`seq`)"),
    afterSeq: z.coerce
      .number()
      .int()
      .min(0)
      .optional()
      .describe('With `memberId`: replay the member’s events after this seq'),
    from: z.iso.datetime().optional().describe('Events committed at or after this instant'),
    to: z.iso.datetime().optional().describe('Events committed at or before this instant; the last page has no cursor'),
    wait: feedPaging.wait,
  })
  .strict()
  .refine((query) => query.afterSeq === undefined || query.memberId !== undefined, {
    error: 'afterSeq needs memberId',
    path: ['afterSeq'],
  });

const feedEventResponse = z
  .union(loyaltyEvent.options.filter((option) => inFeed({ type: option.shape.type.value })))
  .describe('An event, as the event catalogue defines it');

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
          .string()
          .optional()
          .describe('Pass as `cursor` for the next events (always given, unless the `to` range has been read)'),
      }),
    },
    read: async ({ tenantId, services }, query) => services.feed.read(tenantId, query),
  }),
];
