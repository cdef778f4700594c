import * as z from '../shared/zod';
import { changedFieldNames } from '../domain/audit';
import { DEFAULT_TENANT_LIMITS } from '../domain/credentials';
import { FEED_RETENTION_DAYS, FEED_SETTLE_MS, feedPositionTime } from '../domain/feed';
import { positionCursor, type ConsumerSettings } from '../domain/feed-consumer-service';
import { lagSeconds, type FeedConsumer } from '../domain/feed-consumers';
import { minimisationSettings } from '../domain/minimisation';
import { logger } from '../shared/logger';
import { recordMetric } from '../shared/metrics';
import { recordAudit } from './audit-operations';
import { eventTypeFilter, feedPaging } from './feed-operations';
import { checkAgainstCatalogue } from './lake-operations';
import { errors, pathParam, problem, type Operation, type OperationContext } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';
import { problemResponse } from './schemas';

/**
 * Named consumers of the event feed: set up with `data:manage` (they decide what leaves the platform), read,
 * committed and sought with `events:read` (what a data platform's reader holds).
 */

const manage = { tag: 'Event consumers', scope: 'data:manage' } as const;
const use = { tag: 'Event consumers', scope: 'events:read' } as const;

const types = z
  .union([eventTypeFilter, z.array(eventTypeFilter).check(z.minLength(1), z.maxLength(20))])
  .check(
    z.describe('Event types or `prefix.*` wildcards (one, or a list: an event matching any is read); default `*`'),
  );
const name = z.string().check(z.minLength(1), z.maxLength(100), z.describe('What reads through it, for people'));
const { fields, pseudonymiseMemberIds } = minimisationSettings.shape;

const createRequest = z.strictObject({ name, types: z.optional(types), fields, pseudonymiseMemberIds });
const updateRequest = z.strictObject({
  name: z.optional(name),
  types: z.optional(types),
  fields: z
    .optional(z.nullable(fields.def.innerType))
    .check(z.describe('Replaces the allowlists; null keeps every data field')),
  pseudonymiseMemberIds: z.optional(z.boolean()),
});

const lag = z.object({
  seconds: z
    .number()
    .check(
      z.int(),
      z.describe(
        'Now minus the instant of the committed position, in seconds (a consumer at the start: the retention). ' +
          `Committing the cursor of every read, even an empty one, keeps it near the ${FEED_SETTLE_MS / 1000} s ` +
          'settle delay',
      ),
    ),
  positionAt: z
    .optional(z.iso.datetime())
    .check(z.describe('The instant of the committed position; absent at the start')),
});

const consumerResponse = z.object({
  consumerId: z.string(),
  name: z.string(),
  types: z.array(z.string()),
  fields: fields.check(z.describe('Per event type, the data fields it reads (a type not named keeps its data whole)')),
  pseudonymiseMemberIds: z.boolean().check(z.describe('Member ids as the lake’s pseudonyms (the same key)')),
  cursor: z.optional(z.string()).check(z.describe('The committed position; absent at the start of retention')),
  lag,
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  positionUpdatedAt: z.optional(z.iso.datetime()).check(z.describe('When the position last moved (commit or seek)')),
});

const consumerView = (consumer: FeedConsumer, now: Date) => {
  const cursor = positionCursor(consumer.position);
  return {
    consumerId: consumer.consumerId,
    name: consumer.name,
    types: consumer.types,
    ...(consumer.settings.fields ? { fields: consumer.settings.fields } : {}),
    pseudonymiseMemberIds: consumer.settings.pseudonymiseMemberIds,
    ...(cursor ? { cursor } : {}),
    lag: {
      seconds: lagSeconds(consumer.position, now),
      ...(consumer.position ? { positionAt: feedPositionTime(consumer.position) } : {}),
    },
    createdAt: consumer.createdAt,
    updatedAt: consumer.updatedAt,
    ...(consumer.positionUpdatedAt ? { positionUpdatedAt: consumer.positionUpdatedAt } : {}),
  };
};

const readQuery = z.strictObject({
  ...feedPaging,
  autoCommit: z
    .optional(z.enum(['true', 'false']))
    .check(z.describe('true: commit the answer’s cursor before answering (at most once instead of at least once)')),
});

const readResponse = z.object({
  items: z
    .array(z.record(z.string(), z.unknown()))
    .check(
      z.describe(
        'Events after the committed position, oldest first: the envelope, the allowed data fields, pseudonyms',
      ),
    ),
  nextCursor: z.string().check(z.describe('Commit it (POST …/commit) once the items are processed')),
  lag: z.object({
    seconds: z
      .number()
      .check(z.int(), z.describe('Now minus the committed position’s instant (after autoCommit, the new one)')),
    oldestUnreadAt: z
      .optional(z.iso.datetime())
      .check(z.describe('The oldest event of this answer not committed yet (absent when none, or with autoCommit)')),
  }),
});

const seekRequest = z
  .union([
    z
      .strictObject({ to: z.enum(['start', 'end']) })
      .check(
        z.describe(`start: the oldest event kept (${FEED_RETENTION_DAYS} days); end: now, skipping what came before`),
      ),
    z.strictObject({ at: z.iso.datetime() }).check(z.describe('The first event committed at or after this instant')),
  ])
  .check(z.describe('Where to move the committed position'));

const notFound = problem('No such event consumer (event_consumer_not_found)');
const consumerIdOf = (ctx: OperationContext) => pathParam(ctx.event, 'consumerId');
const asList = (filter: string | string[] | undefined) =>
  filter === undefined ? ['*'] : typeof filter === 'string' ? [filter] : filter;

export const eventConsumerOperations: Operation[] = [
  writeOperation({
    ...manage,
    method: 'POST',
    path: '/v1/event-consumers',
    operationId: 'createEventConsumer',
    summary:
      'A named reader of the event feed with its own type filter, field allowlists and pseudonymisation, and a ' +
      'committed position kept here (starting at the oldest event kept)',
    request: createRequest,
    responses: {
      201: { description: 'The consumer', schema: consumerResponse },
      409: problem("The tenant's feedConsumers limit is reached (limit_exceeded)"),
    },
    run: async (ctx, body) => {
      const { tenantId, services } = ctx;
      const settings = {
        ...(body.fields ? { fields: body.fields } : {}),
        pseudonymiseMemberIds: body.pseudonymiseMemberIds,
      };
      checkAgainstCatalogue(settings);
      const input: ConsumerSettings = { name: body.name, types: asList(body.types), settings };
      const tenant = await services.tenantStore.getTenant(tenantId);
      const consumer = await services.eventConsumers.create(tenantId, input, tenant?.limits ?? DEFAULT_TENANT_LIMITS);
      await recordAudit(
        ctx,
        'audit.event_consumer.created',
        consumer.consumerId,
        { types: consumer.types },
        {
          at: consumer.createdAt,
        },
      );
      return { statusCode: 201, body: consumerView(consumer, services.clock.now()) };
    },
  }),
  readOperation({
    ...use,
    path: '/v1/event-consumers',
    operationId: 'listEventConsumers',
    summary: "The tenant's event consumers with their positions and lag",
    ok: { description: 'Consumers', schema: z.object({ items: z.array(consumerResponse) }) },
    read: async ({ tenantId, services }) => {
      const now = services.clock.now();
      return { items: (await services.eventConsumers.list(tenantId)).map((c) => consumerView(c, now)) };
    },
  }),
  readOperation({
    ...use,
    path: '/v1/event-consumers/{consumerId}',
    operationId: 'getEventConsumer',
    summary: 'An event consumer: its settings, committed position and lag',
    ok: { description: 'The consumer', schema: consumerResponse },
    notFound: 'No such event consumer',
    read: async (ctx) =>
      consumerView(
        await ctx.services.eventConsumers.require(ctx.tenantId, consumerIdOf(ctx)),
        ctx.services.clock.now(),
      ),
  }),
  writeOperation({
    ...manage,
    method: 'PATCH',
    path: '/v1/event-consumers/{consumerId}',
    operationId: 'updateEventConsumer',
    summary: 'Change a consumer’s name, type filter or minimisation (its position stays); applies to the next read',
    request: updateRequest,
    responses: { 200: { description: 'The consumer after the change', schema: consumerResponse }, 404: notFound },
    run: async (ctx, patch) => {
      const { tenantId, services } = ctx;
      const current = await services.eventConsumers.require(tenantId, consumerIdOf(ctx));
      const fieldsAfter = patch.fields === null ? undefined : (patch.fields ?? current.settings.fields);
      const settings = {
        ...(fieldsAfter ? { fields: fieldsAfter } : {}),
        pseudonymiseMemberIds: patch.pseudonymiseMemberIds ?? current.settings.pseudonymiseMemberIds,
      };
      checkAgainstCatalogue(settings);
      const input: ConsumerSettings = {
        name: patch.name ?? current.name,
        types: patch.types === undefined ? current.types : asList(patch.types),
        settings,
      };
      const updated = await services.eventConsumers.update(tenantId, current.consumerId, input);
      const before = { name: current.name, types: current.types, ...current.settings };
      const changedFields = changedFieldNames(before, { name: input.name, types: input.types, ...settings });
      if (changedFields.length > 0) {
        await recordAudit(
          ctx,
          'audit.event_consumer.updated',
          current.consumerId,
          { changedFields },
          {
            at: updated.updatedAt,
          },
        );
      }
      return { statusCode: 200, body: consumerView(updated, services.clock.now()) };
    },
  }),
  {
    ...manage,
    method: 'DELETE',
    path: '/v1/event-consumers/{consumerId}',
    operationId: 'deleteEventConsumer',
    summary: 'Delete a consumer and its committed position',
    idempotent: false,
    responses: { 204: { description: 'Deleted' }, ...errors, 404: notFound },
    run: async (ctx) => {
      const consumerId = consumerIdOf(ctx);
      await ctx.services.eventConsumers.delete(ctx.tenantId, consumerId);
      await recordAudit(ctx, 'audit.event_consumer.deleted', consumerId, {});
      return { statusCode: 204, body: null };
    },
  },
  readOperation({
    ...use,
    path: '/v1/event-consumers/{consumerId}/events',
    operationId: 'readEventConsumer',
    summary:
      'The events after the consumer’s committed position that pass its type filter, minimised by its settings; ' +
      'reading does not move the position (commit `nextCursor` after processing), unless `autoCommit=true`',
    query: readQuery,
    ok: { description: 'Events and the cursor to commit', schema: readResponse },
    notFound: 'No such event consumer',
    read: async (ctx, { limit, wait, autoCommit }) => {
      const consumerId = consumerIdOf(ctx);
      const read = await ctx.services.eventConsumers.read(ctx.tenantId, consumerId, {
        limit,
        ...(wait !== undefined ? { wait } : {}),
        autoCommit: autoCommit === 'true',
      });
      // No tenant or consumer dimension on the metrics (see decision 0008): the log line names the consumer.
      recordMetric('ConsumerLagSeconds', read.lagSeconds);
      recordMetric('ConsumerEventsRead', read.items.length);
      logger.info('Event consumer read', {
        tenantId: ctx.tenantId,
        consumerId,
        lagSeconds: read.lagSeconds,
        eventsRead: read.items.length,
      });
      return {
        items: read.items,
        nextCursor: read.nextCursor,
        lag: { seconds: read.lagSeconds, ...(read.oldestUnreadAt ? { oldestUnreadAt: read.oldestUnreadAt } : {}) },
      };
    },
  }),
  writeOperation({
    ...use,
    method: 'POST',
    path: '/v1/event-consumers/{consumerId}/commit',
    operationId: 'commitEventConsumer',
    summary:
      'Store a cursor this consumer read as its committed position. Only forward: the same cursor again is a no-op, ' +
      'an older one is refused (event_consumer_commit_behind, with the committed cursor)',
    request: z.strictObject({
      cursor: z.string().check(z.minLength(1), z.maxLength(1024), z.describe('`nextCursor` of a read')),
    }),
    responses: {
      200: { description: 'The consumer at its new position', schema: consumerResponse },
      404: notFound,
      409: {
        description: 'A later position is committed already (event_consumer_commit_behind)',
        schema: z.extend(problemResponse, {
          committedCursor: z
            .optional(z.string())
            .check(z.describe('The committed position: read on from there, or seek')),
        }),
      },
    },
    run: async (ctx, { cursor }) => {
      const consumer = await ctx.services.eventConsumers.commit(ctx.tenantId, consumerIdOf(ctx), cursor);
      return { statusCode: 200, body: consumerView(consumer, ctx.services.clock.now()) };
    },
  }),
  writeOperation({
    ...use,
    method: 'POST',
    path: '/v1/event-consumers/{consumerId}/seek',
    operationId: 'seekEventConsumer',
    summary: 'Move the committed position anywhere: the start of retention, now, or an instant',
    request: seekRequest,
    responses: { 200: { description: 'The consumer at its new position', schema: consumerResponse }, 404: notFound },
    run: async (ctx, target) => {
      const consumer = await ctx.services.eventConsumers.seek(ctx.tenantId, consumerIdOf(ctx), target);
      return { statusCode: 200, body: consumerView(consumer, ctx.services.clock.now()) };
    },
  }),
];
