import { DEFAULT_TENANT_LIMITS } from '../domain/credentials';
import type { WebhookSubscription } from '../domain/ports';
import { requireEndpointAllowance } from '../domain/tenants';
import {
  chatUrlProblem,
  endpointTypeOf,
  isChatEndpoint,
  maskedChatUrl,
  type EndpointType,
} from '../domain/webhooks/endpoint-types';
import { chatBody } from '../domain/webhooks/chat-messages';
import { CallbackRenderError, renderTemplate, templateContextOf } from '../domain/webhooks/callback-template';
import * as z from '../shared/zod';
import { callbackView, previewEvent, previewRequest, requireValidCallback } from './callback-endpoints';
import { previewResponse, previewTarget } from './callback-schemas';
import { pingBody } from '../domain/webhooks/message';
import type { DeliveryRecord } from '../domain/webhooks/ports';
import { generateSecret, generateSigningKeyPair, publicKeyOf } from '../domain/webhooks/signature';
import { checkWebhookTarget } from '../domain/webhooks/ssrf-guard';
import { newId } from '../shared/ids';
import { Problem } from '../shared/problem';
import { changedFieldNames } from '../domain/audit';
import { recordAudit } from './audit-operations';
import { correlationIdOf } from './correlation';
import { errors, pathParam, problem, type Operation, type OperationContext, type Services } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';
import * as s from './schemas';
import { required } from '../shared/required';

/**
 * Webhook endpoints and their deliveries: subscriptions, secrets and keys, the attempt log,
 * replays, dead letters and the test ping.
 */

const endpointView = (sub: WebhookSubscription, withSecret = false) => ({
  subscriptionId: sub.subscriptionId,
  type: endpointTypeOf(sub),
  url: isChatEndpoint(sub) ? maskedChatUrl(sub.url) : sub.url,
  ...(sub.description ? { description: sub.description } : {}),
  eventTypes: sub.eventTypes,
  enabled: sub.enabled,
  payload: sub.payload ?? 'full',
  ...(sub.fields ? { fields: sub.fields } : {}),
  ...(sub.rateLimitPerSecond ? { rateLimitPerSecond: sub.rateLimitPerSecond } : {}),
  ...(sub.digest ? { digest: sub.digest } : {}),
  ...callbackView(sub),
  ...(sub.disabledReason ? { disabledReason: sub.disabledReason, disabledAt: sub.disabledAt } : {}),
  ...(sub.signingKeys?.length ? { publicKeys: sub.signingKeys.map(publicKeyOf) } : {}),
  ...(sub.secretsRetireAt && sub.secrets.length > 1 ? { secretsRetireAt: sub.secretsRetireAt } : {}),
  createdAt: sub.createdAt,
  ...(sub.updatedAt ? { updatedAt: sub.updatedAt } : {}),
  // Chat and callback endpoints are not signed: no secret is shown (the URL, or the endpoint's auth, authenticates).
  ...(withSecret && endpointTypeOf(sub) === 'webhook' ? { secret: sub.secrets[0] } : {}),
});

export async function requireEndpoint(
  services: Services,
  tenantId: string,
  subscriptionId: string,
): Promise<WebhookSubscription> {
  const subscription = await services.subscriptions.get(tenantId, subscriptionId);
  if (!subscription) throw new Problem('endpoint_not_found', `No webhook endpoint ${subscriptionId}`);
  return subscription;
}

/**
 * The tenant's `webhookEndpoints` limit, checked before a registration. A read, not a condition of the write: two
 * registrations racing at the limit may both pass, a bound off by the racers at most.
 */
async function requireEndpointRoom(services: Services, tenantId: string): Promise<void> {
  const [tenant, registered] = await Promise.all([
    services.tenantStore.getTenant(tenantId),
    services.subscriptions.listForTenant(tenantId),
  ]);
  requireEndpointAllowance(registered.length, tenant?.limits ?? DEFAULT_TENANT_LIMITS);
}

/**
 * The SSRF guard at registration: scheme, credentials, every A/AAAA address public (checked again at every send).
 * A chat endpoint's URL must also be one its tool issues.
 */
async function guardUrl(services: Services, url: string, type: EndpointType = 'webhook'): Promise<string> {
  const chatProblem = chatUrlProblem(type, url, services.allowLoopbackHttp);
  if (chatProblem) throw new Problem('webhook_url_rejected', chatProblem, { reasonCode: 'not_a_chat_webhook' });
  const check = await checkWebhookTarget(url, {
    allowLoopbackHttp: services.allowLoopbackHttp,
    resolver: services.resolver,
  });
  if (!check.ok) throw new Problem('webhook_url_rejected', check.reason, { reasonCode: check.code });
  return check.url.toString();
}

async function requireEnabledEndpoint(
  services: Services,
  tenantId: string,
  subscriptionId: string,
): Promise<WebhookSubscription> {
  const subscription = await requireEndpoint(services, tenantId, subscriptionId);
  if (!subscription.enabled)
    throw new Problem(
      'endpoint_disabled',
      'Enable the endpoint first (PATCH enabled: true); its messages would be parked again',
    );
  return subscription;
}

const messageView = (message: DeliveryRecord) => ({
  eventId: message.eventId,
  eventType: message.eventType,
  ...(message.event && 'memberId' in message.event ? { memberId: message.event.memberId } : {}),
  ...(message.event && 'seq' in message.event ? { seq: message.event.seq } : {}),
  occurredAt: message.occurredAt,
  status: message.status,
  attempts: message.attempts,
  round: message.round,
  createdAt: message.createdAt,
  ...(message.lastAttemptAt ? { lastAttemptAt: message.lastAttemptAt } : {}),
  ...(message.lastStatus !== undefined ? { lastStatus: message.lastStatus } : {}),
  ...(message.lastError ? { lastError: message.lastError } : {}),
  ...(message.nextAttemptAt ? { nextAttemptAt: message.nextAttemptAt } : {}),
  ...(message.deliveredAt ? { deliveredAt: message.deliveredAt } : {}),
  ...(message.deadAt ? { deadAt: message.deadAt, deadReason: message.deadReason } : {}),
});

/** A callback endpoint's ping: the `webhook.ping` body through its template (or as it is, without one). */
function callbackPingBody(subscription: WebhookSubscription, ping: string): string {
  if (subscription.template === undefined) return ping;
  return renderTemplate(subscription.template, templateContextOf(JSON.parse(ping), subscription));
}

/** Every webhook operation: one tag, one scope. */
const webhooks = { tag: 'Webhooks', scope: 'webhooks:manage' } as const;

/** The endpoint the path names; a 404 problem when there is none. */
const endpointOf = ({ event, tenantId, services }: OperationContext) =>
  requireEndpoint(services, tenantId, pathParam(event, 'subscriptionId'));

/** The endpoint the path names, which must be enabled: a 409 problem when it is not. */
const enabledEndpointOf = ({ event, tenantId, services }: OperationContext) =>
  requireEnabledEndpoint(services, tenantId, pathParam(event, 'subscriptionId'));

export const webhookOperations: Operation[] = [
  writeOperation({
    ...webhooks,
    method: 'POST',
    path: '/v1/webhooks/endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Subscribe an endpoint to events; the signing secret is returned once',
    request: s.createEndpointRequest,
    responses: {
      201: { description: 'Created', schema: s.endpointResponse },
      409: problem("The tenant's webhookEndpoints limit is reached (limit_exceeded)"),
      422: { description: 'URL, token URL or callback configuration not allowed', schema: s.webhookUrlProblemResponse },
    },
    run: async (ctx, body) => {
      const { tenantId, services } = ctx;
      await requireEndpointRoom(services, tenantId);
      const subscription: WebhookSubscription = {
        tenantId,
        subscriptionId: newId('sub'),
        ...(body.type !== 'webhook' ? { type: body.type } : {}),
        url: await guardUrl(services, body.url, body.type),
        ...(body.description ? { description: body.description } : {}),
        eventTypes: body.eventTypes,
        payload: body.payload,
        ...(body.fields ? { fields: body.fields } : {}),
        ...(body.rateLimitPerSecond ? { rateLimitPerSecond: body.rateLimitPerSecond } : {}),
        ...(body.digest ? { digest: body.digest } : {}),
        ...(body.auth ? { auth: body.auth } : {}),
        ...(body.headers ? { headers: body.headers } : {}),
        ...(body.template !== undefined ? { template: body.template } : {}),
        enabled: true,
        secrets: [generateSecret()],
        ...(body.ed25519 ? { signingKeys: [generateSigningKeyPair().secretKey] } : {}),
        createdAt: services.clock.now().toISOString(),
      };
      await requireValidCallback(services, subscription, true);
      await services.subscriptions.put(subscription);
      const { subscriptionId, eventTypes, createdAt } = subscription;
      await recordAudit(ctx, 'audit.webhook_endpoint.created', subscriptionId, { eventTypes }, { at: createdAt });
      return { statusCode: 201, body: endpointView(subscription, true) };
    },
  }),
  readOperation({
    ...webhooks,
    path: '/v1/webhooks/endpoints',
    operationId: 'listWebhookEndpoints',
    summary: "List the tenant's webhook endpoints",
    ok: { description: 'Endpoints', schema: s.endpointListResponse },
    read: async ({ tenantId, services }) => ({
      items: (await services.subscriptions.listForTenant(tenantId)).map((sub) => endpointView(sub)),
    }),
  }),
  readOperation({
    ...webhooks,
    path: '/v1/webhooks/endpoints/{subscriptionId}',
    operationId: 'getWebhookEndpoint',
    summary: 'A webhook endpoint (its secret is never shown again)',
    ok: { description: 'The endpoint', schema: s.endpointResponse },
    notFound: 'No such endpoint',
    read: async (ctx) => {
      const subscription = await endpointOf(ctx);
      const {
        openCount: _openCount,
        probeUntil: _probeUntil,
        closedAt: _closedAt,
        deadLetters: _deadLetters,
        ...health
      } = await ctx.services.endpointHealth.getHealth(ctx.tenantId, subscription.subscriptionId);
      return { ...endpointView(subscription), health };
    },
  }),
  writeOperation({
    ...webhooks,
    method: 'PATCH',
    path: '/v1/webhooks/endpoints/{subscriptionId}',
    operationId: 'updateWebhookEndpoint',
    summary:
      'Change an endpoint: URL (checked by the SSRF guard again), event types, enabled, payload mode, ' +
      'field allowlist (merge patch)',
    request: s.updateEndpointRequest,
    responses: {
      200: { description: 'The endpoint after the change', schema: s.endpointResponse },
      404: problem('No such endpoint'),
      422: { description: 'URL, token URL or callback configuration not allowed', schema: s.webhookUrlProblemResponse },
    },
    run: async (ctx, { url, ...patch }) => {
      const { tenantId, services } = ctx;
      const current = await endpointOf(ctx);
      // Merge patch: an absent field stays, null removes it (description, fields).
      const removed = new Set(Object.entries(patch).flatMap(([field, value]) => (value === null ? [field] : [])));
      const kept = Object.fromEntries(Object.entries(current).filter(([field]) => !removed.has(field)));
      const changed = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== null));
      const next = { ...kept, updatedAt: services.clock.now().toISOString(), ...changed } as WebhookSubscription &
        Record<string, unknown>;
      if (url !== undefined) next.url = await guardUrl(services, url, endpointTypeOf(current));
      await requireValidCallback(services, next, patch.auth !== undefined && patch.auth !== null);
      const reenabled = patch.enabled === true && !current.enabled;
      if (reenabled) {
        // Enabled again: the platform's reason goes, and the endpoint starts healthy.
        delete next.disabledReason;
        delete next.disabledAt;
      }
      await services.subscriptions.put(next);
      if (reenabled) await services.endpointHealth.resetHealth(tenantId, current.subscriptionId);
      const changedFields = changedFieldNames(current, next).filter((field) => field !== 'updatedAt');
      if (changedFields.length > 0) {
        const at = next.updatedAt;
        await recordAudit(ctx, 'audit.webhook_endpoint.updated', current.subscriptionId, { changedFields }, { at });
      }
      return { statusCode: 200, body: endpointView(next) };
    },
  }),
  {
    ...webhooks,
    method: 'DELETE',
    path: '/v1/webhooks/endpoints/{subscriptionId}',
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete an endpoint; deliveries still queued for it are dropped (disable it instead to keep them)',
    idempotent: false,
    responses: { 204: { description: 'Deleted' }, ...errors, 404: problem('No such endpoint') },
    run: async (ctx) => {
      const subscriptionId = pathParam(ctx.event, 'subscriptionId');
      if (!(await ctx.services.subscriptions.delete(ctx.tenantId, subscriptionId)))
        throw new Problem('endpoint_not_found', `No webhook endpoint ${subscriptionId}`);
      await recordAudit(ctx, 'audit.webhook_endpoint.deleted', subscriptionId, {});
      return { statusCode: 204, body: null };
    },
  },
  writeOperation({
    ...webhooks,
    method: 'POST',
    path: '/v1/webhooks/endpoints/{subscriptionId}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary:
      'Issue a new signing secret (returned once); the previous one keeps signing beside it for the overlap, ' +
      'so receivers can switch without missing a delivery',
    request: s.rotateSecretRequest,
    responses: {
      200: { description: 'The endpoint with its new secret', schema: s.endpointResponse },
      404: problem('No such endpoint'),
    },
    run: async (ctx, { overlapHours }) => {
      const current = await endpointOf(ctx);
      const now = ctx.services.clock.now();
      const next: WebhookSubscription = {
        ...current,
        secrets: [generateSecret(), required(current.secrets[0], 'the current secret')],
        ...(current.signingKeys?.length
          ? { signingKeys: [generateSigningKeyPair().secretKey, required(current.signingKeys[0], 'the current key')] }
          : {}),
        secretsRetireAt: new Date(now.getTime() + overlapHours * 3_600_000).toISOString(),
        updatedAt: now.toISOString(),
      };
      await ctx.services.subscriptions.put(next);
      const overlapEndsAt = required(next.secretsRetireAt, 'the overlap end');
      await recordAudit(
        ctx,
        'audit.webhook_endpoint.secret_rotated',
        current.subscriptionId,
        { overlapEndsAt },
        {
          at: next.updatedAt,
        },
      );
      return { statusCode: 200, body: endpointView(next, true) };
    },
  }),
  {
    ...webhooks,
    method: 'POST',
    path: '/v1/webhooks/endpoints/{subscriptionId}/ping',
    operationId: 'pingWebhookEndpoint',
    summary: 'Send a signed `webhook.ping` to the endpoint now and return its answer (nothing is queued or retried)',
    idempotent: false,
    responses: {
      200: { description: 'The attempt', schema: s.attemptResultResponse },
      ...errors,
      404: problem('No such endpoint'),
    },
    run: async (ctx) => {
      const subscription = await endpointOf(ctx);
      const id = newId('ping');
      const at = ctx.services.clock.now();
      const type = endpointTypeOf(subscription);
      const ping = () => pingBody({ id, tenantId: ctx.tenantId, endpointId: subscription.subscriptionId, at });
      let body: string;
      try {
        body =
          type === 'webhook'
            ? ping()
            : type === 'callback'
              ? callbackPingBody(subscription, ping())
              : chatBody(type, { id, type: 'webhook.ping', occurredAt: at.toISOString() });
      } catch (error) {
        if (!(error instanceof CallbackRenderError)) throw error;
        return { statusCode: 200, body: { ok: false, durationMs: 0, error: `template failed: ${error.message}` } };
      }
      const result = await ctx.services.sendNow(subscription, { id, body, correlationId: correlationIdOf(ctx.event) });
      return {
        statusCode: 200,
        body: {
          ok: result.ok,
          ...(result.status !== undefined ? { status: result.status } : {}),
          durationMs: result.durationMs,
          ...(result.error ? { error: result.error } : {}),
          ...(result.responseBody ? { responseBody: result.responseBody } : {}),
        },
      };
    },
  },
  writeOperation({
    ...webhooks,
    method: 'POST',
    path: '/v1/webhooks/endpoints/{subscriptionId}/preview',
    operationId: 'previewWebhookRequest',
    summary:
      'The request the endpoint would get for an event (given, or the catalogue sample of `eventType`): method, URL, ' +
      'headers (auth and signatures redacted) and the rendered body. Nothing is sent',
    request: z.strictObject(previewTarget),
    responses: {
      200: { description: 'The request', schema: previewResponse },
      404: problem('No such endpoint'),
      422: { description: 'The template does not render on the event', schema: s.webhookUrlProblemResponse },
    },
    run: async (ctx, body) => {
      const subscription = await endpointOf(ctx);
      const { event, sample } = previewEvent(subscription, body);
      return { statusCode: 200, body: { ...previewRequest(subscription, event), sample } };
    },
  }),
  writeOperation({
    ...webhooks,
    method: 'POST',
    path: '/v1/webhooks/preview',
    operationId: 'previewWebhookEndpoint',
    summary:
      'Before creating an endpoint: the request it would get for an event, from its configuration as it would be ' +
      'created (checked the same way; nothing is stored or sent)',
    request: z.strictObject({ endpoint: s.createEndpointRequest, ...previewTarget }),
    responses: {
      200: { description: 'The request', schema: previewResponse },
      422: { description: 'The URL, configuration or template is not valid', schema: s.webhookUrlProblemResponse },
    },
    run: async (ctx, { endpoint, ...target }) => {
      const { tenantId, services } = ctx;
      const subscription: WebhookSubscription = {
        tenantId,
        subscriptionId: 'sub_preview',
        ...(endpoint.type !== 'webhook' ? { type: endpoint.type } : {}),
        url: await guardUrl(services, endpoint.url, endpoint.type),
        eventTypes: endpoint.eventTypes,
        payload: endpoint.payload,
        ...(endpoint.fields ? { fields: endpoint.fields } : {}),
        ...(endpoint.digest ? { digest: endpoint.digest } : {}),
        ...(endpoint.auth ? { auth: endpoint.auth } : {}),
        ...(endpoint.headers ? { headers: endpoint.headers } : {}),
        ...(endpoint.template !== undefined ? { template: endpoint.template } : {}),
        enabled: true,
        secrets: [],
        createdAt: services.clock.now().toISOString(),
      };
      await requireValidCallback(services, subscription, true);
      const { event, sample } = previewEvent(subscription, target);
      return { statusCode: 200, body: { ...previewRequest(subscription, event), sample } };
    },
  }),
  readOperation({
    ...webhooks,
    path: '/v1/webhooks/endpoints/{subscriptionId}/messages',
    operationId: 'listWebhookMessages',
    summary: "The endpoint's messages (one per event sent to it), newest first, by event time",
    query: s.messageListQuery,
    ok: { description: 'Messages', schema: s.messageListResponse },
    notFound: 'No such endpoint',
    read: async (ctx, query) => {
      const subscription = await endpointOf(ctx);
      const page = await ctx.services.deliveries.listMessages(ctx.tenantId, subscription.subscriptionId, {
        ...query,
        order: 'desc',
      });
      return { items: page.items.map(messageView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
    },
  }),
  readOperation({
    ...webhooks,
    path: '/v1/webhooks/endpoints/{subscriptionId}/messages/{eventId}',
    operationId: 'getWebhookMessage',
    summary:
      'One message: where it stands, its payload and every attempt (time, status, duration, start of the answer)',
    ok: { description: 'The message and its attempts', schema: s.messageDetailResponse },
    notFound: 'No such endpoint or message',
    read: async (ctx) => {
      const { subscriptionId } = await endpointOf(ctx);
      const eventId = pathParam(ctx.event, 'eventId');
      const [message, attempts] = await Promise.all([
        ctx.services.deliveries.getMessage(ctx.tenantId, subscriptionId, eventId),
        ctx.services.deliveries.messageAttempts(ctx.tenantId, subscriptionId, eventId),
      ]);
      if (!message) throw new Problem('message_not_found', `No message for event ${eventId} on this endpoint`);
      return { ...messageView(message), payload: message.event ?? { digest: message.digest }, attempts };
    },
  }),
  readOperation({
    ...webhooks,
    path: '/v1/webhooks/endpoints/{subscriptionId}/attempts',
    operationId: 'listWebhookAttempts',
    summary: "The endpoint's attempt log, newest first",
    query: s.attemptListQuery,
    ok: { description: 'Attempts', schema: s.attemptListResponse },
    notFound: 'No such endpoint',
    read: async (ctx, query) =>
      ctx.services.deliveries.listAttempts(ctx.tenantId, (await endpointOf(ctx)).subscriptionId, query),
  }),
  {
    ...webhooks,
    method: 'POST',
    path: '/v1/webhooks/endpoints/{subscriptionId}/messages/{eventId}/replay',
    operationId: 'replayWebhookMessage',
    summary: 'Send one message again (same webhook-id, a fresh retry schedule), delivered or dead',
    idempotent: false,
    responses: {
      202: { description: 'Queued', schema: s.replayResponse },
      ...errors,
      404: problem('No such endpoint or message'),
      409: problem('The endpoint is disabled, or the message is still being delivered'),
    },
    run: async (ctx) => {
      const subscription = await enabledEndpointOf(ctx);
      const eventId = pathParam(ctx.event, 'eventId');
      const replayed = await ctx.services.replays.replayOne(ctx.tenantId, subscription.subscriptionId, eventId);
      if (replayed === 'not_found')
        throw new Problem('message_not_found', `No message for event ${eventId} on this endpoint`);
      if (replayed === 'in_flight')
        throw new Problem('message_pending', 'The message is still being delivered on its retry schedule');
      return { statusCode: 202, body: replayed };
    },
  },
  writeOperation({
    ...webhooks,
    method: 'POST',
    path: '/v1/webhooks/endpoints/{subscriptionId}/replay',
    operationId: 'replayWebhookMessages',
    summary:
      'Send again the messages whose events occurred in a time range, oldest first (up to `limit` per call; ' +
      'continue with the cursor)',
    request: s.replayRangeRequest,
    responses: {
      202: { description: 'Queued', schema: s.replayResponse },
      404: problem('No such endpoint'),
      409: problem('The endpoint is disabled'),
    },
    run: async (ctx, body) => {
      const subscription = await enabledEndpointOf(ctx);
      const replayed = await ctx.services.replays.replayRange(ctx.tenantId, subscription.subscriptionId, {
        from: body.from,
        to: body.to,
        ...(body.status ? { status: body.status } : {}),
        limit: body.limit,
        ...(body.cursor ? { cursor: body.cursor } : {}),
      });
      return { statusCode: 202, body: replayed };
    },
  }),
  readOperation({
    ...webhooks,
    path: '/v1/webhooks/endpoints/{subscriptionId}/dead-letters',
    operationId: 'listWebhookDeadLetters',
    summary: "The endpoint's dead letters (attempts exhausted, or parked while it was disabled), oldest first",
    query: s.deadLetterListQuery,
    ok: { description: 'Dead letters', schema: s.deadLetterListResponse },
    notFound: 'No such endpoint',
    read: async (ctx, query) =>
      ctx.services.deliveries.listDeadLetters(ctx.tenantId, (await endpointOf(ctx)).subscriptionId, query),
  }),
  writeOperation({
    ...webhooks,
    method: 'POST',
    path: '/v1/webhooks/endpoints/{subscriptionId}/dead-letters/redrive',
    operationId: 'redriveWebhookDeadLetters',
    summary:
      "Queue the endpoint's dead letters again, oldest first, each with a fresh retry schedule " +
      '(up to `limit` per call; call again while `more` is true)',
    request: s.redriveRequest,
    responses: {
      202: { description: 'Queued', schema: s.redriveResponse },
      404: problem('No such endpoint'),
      409: problem('The endpoint is disabled'),
    },
    run: async (ctx, { limit }) => {
      const subscription = await enabledEndpointOf(ctx);
      return {
        statusCode: 202,
        body: await ctx.services.replays.redrive(ctx.tenantId, subscription.subscriptionId, limit),
      };
    },
  }),
];
