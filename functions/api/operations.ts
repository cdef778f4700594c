import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { z } from 'zod';
import { LedgerService, requestHash, type Outcome } from '../domain/ledger-service';
import type { SubscriptionStore, WebhookSubscription } from '../domain/ports';
import { generateSecret } from '../domain/webhook-signature';
import { checkWebhookUrl } from '../domain/webhook-url';
import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import { Problem } from '../shared/problem';
import { idempotencyKey, parseBody } from './http';
import * as s from './schemas';

export type Scope = 'members:read' | 'members:write' | 'points:write' | 'webhooks:manage';
export const ALL_SCOPES: Scope[] = ['members:read', 'members:write', 'points:write', 'webhooks:manage'];

export interface Services {
  ledger: LedgerService;
  subscriptions: SubscriptionStore;
  clock: Clock;
  allowLoopbackHttp: boolean;
}

export interface OperationContext {
  event: APIGatewayProxyEvent;
  tenantId: string;
  services: Services;
}

/** One API operation: its contract (for OpenAPI and validation) and its implementation. */
export interface Operation {
  method: 'GET' | 'POST';
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  scope: Scope | null;
  idempotent: boolean;
  request?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  run(ctx: OperationContext): Promise<Outcome>;
}

const pathParam = (event: APIGatewayProxyEvent, name: string): string => {
  const value = event.pathParameters?.[name];
  if (!value || !/^[A-Za-z0-9_-]{1,64}$/.test(value)) throw new Problem('validation_failed', `Path parameter ${name} is not valid`);
  return value;
};

const errors = {
  400: { description: 'Invalid request', schema: s.problemResponse },
  401: { description: 'Missing or invalid credentials', schema: s.problemResponse },
  403: { description: 'Insufficient scope', schema: s.problemResponse },
};

const idempotencyErrors = {
  409: { description: 'Idempotency-Key reused with another request, or concurrent update', schema: s.problemResponse },
};

const endpointView = (sub: WebhookSubscription, withSecret = false) => ({
  subscriptionId: sub.subscriptionId,
  url: sub.url,
  ...(sub.description ? { description: sub.description } : {}),
  eventTypes: sub.eventTypes,
  enabled: sub.enabled,
  createdAt: sub.createdAt,
  ...(withSecret ? { secret: sub.secrets[0] } : {}),
});

export const operations: Operation[] = [
  {
    method: 'POST',
    path: '/v1/members',
    operationId: 'enrolMember',
    summary: 'Enrol a member (idempotent by external id)',
    tag: 'Members',
    scope: 'members:write',
    idempotent: true,
    request: s.enrolRequest,
    responses: {
      201: { description: 'Enrolled', schema: s.memberResponse },
      200: { description: 'Already enrolled under this external id', schema: s.memberResponse },
      ...errors,
      ...idempotencyErrors,
    },
    run: ({ event, tenantId, services }) => {
      const body = parseBody(event, s.enrolRequest);
      const key = idempotencyKey(event);
      return services.ledger.enrol(tenantId, { key, requestHash: requestHash('POST', '/v1/members', body) }, body);
    },
  },
  {
    method: 'GET',
    path: '/v1/members/{memberId}',
    operationId: 'getMember',
    summary: 'Get a member',
    tag: 'Members',
    scope: 'members:read',
    idempotent: false,
    responses: { 200: { description: 'The member', schema: s.memberResponse }, ...errors, 404: { description: 'No such member', schema: s.problemResponse } },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: await services.ledger.getMember(tenantId, pathParam(event, 'memberId')),
    }),
  },
  {
    method: 'GET',
    path: '/v1/members/{memberId}/balance',
    operationId: 'getBalance',
    summary: "Read a member's balance",
    tag: 'Points',
    scope: 'members:read',
    idempotent: false,
    responses: { 200: { description: 'The balance', schema: s.balanceResponse }, ...errors, 404: { description: 'No such member', schema: s.problemResponse } },
    run: async ({ event, tenantId, services }) => ({
      statusCode: 200,
      body: await services.ledger.getBalance(tenantId, pathParam(event, 'memberId')),
    }),
  },
  {
    method: 'POST',
    path: '/v1/members/{memberId}/points/earn',
    operationId: 'earnPoints',
    summary: 'Credit points to a member',
    tag: 'Points',
    scope: 'points:write',
    idempotent: true,
    request: s.earnRequest,
    responses: {
      201: { description: 'Credited', schema: s.earnResponse },
      ...errors,
      404: { description: 'No such member', schema: s.problemResponse },
      ...idempotencyErrors,
    },
    run: ({ event, tenantId, services }) => {
      const memberId = pathParam(event, 'memberId');
      const body = parseBody(event, s.earnRequest);
      const key = idempotencyKey(event);
      const hash = requestHash('POST', `/v1/members/${memberId}/points/earn`, body);
      return services.ledger.earn(tenantId, memberId, { key, requestHash: hash }, body);
    },
  },
  {
    method: 'POST',
    path: '/v1/webhooks/endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Subscribe an endpoint to events; the signing secret is returned once',
    tag: 'Webhooks',
    scope: 'webhooks:manage',
    idempotent: false,
    request: s.createEndpointRequest,
    responses: {
      201: { description: 'Created', schema: s.endpointResponse },
      ...errors,
      422: { description: 'URL not allowed', schema: s.problemResponse },
    },
    run: async ({ event, tenantId, services }) => {
      const body = parseBody(event, s.createEndpointRequest);
      const check = checkWebhookUrl(body.url, { allowLoopbackHttp: services.allowLoopbackHttp });
      if (!check.ok) throw new Problem('webhook_url_rejected', check.reason);
      const subscription: WebhookSubscription = {
        tenantId,
        subscriptionId: newId('sub'),
        url: check.url.toString(),
        ...(body.description ? { description: body.description } : {}),
        eventTypes: body.eventTypes,
        enabled: true,
        secrets: [generateSecret()],
        createdAt: services.clock.now().toISOString(),
      };
      await services.subscriptions.put(subscription);
      return { statusCode: 201, body: endpointView(subscription, true) };
    },
  },
  {
    method: 'GET',
    path: '/v1/webhooks/endpoints',
    operationId: 'listWebhookEndpoints',
    summary: "List the tenant's webhook endpoints",
    tag: 'Webhooks',
    scope: 'webhooks:manage',
    idempotent: false,
    responses: { 200: { description: 'Endpoints', schema: s.endpointListResponse }, ...errors },
    run: async ({ tenantId, services }) => ({
      statusCode: 200,
      body: { items: (await services.subscriptions.listForTenant(tenantId)).map((sub) => endpointView(sub)) },
    }),
  },
];
