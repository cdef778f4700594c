import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ExportService } from '../domain/export-service';
import type * as z from '../shared/zod';
import type { ApiKeyService } from '../domain/api-key-service';
import type { BackfillService } from '../domain/backfill-service';
import type { InboundQueueAdmin } from '../domain/inbound-queue-service';
import type { BatchService } from '../domain/batch-service';
import type { ImportService } from '../domain/imports-service';
import type { Reply } from '../domain/idempotency';
import type { EventFeed } from '../domain/feed';
import type { FeedConsumers } from '../domain/feed-consumer-service';
import type { LedgerService } from '../domain/ledger-service';
import type { MaintenanceStore } from '../domain/maintenance-notifier';
import type {
  AuditTrail,
  LakeSettingsStore,
  OfferStore,
  ProgrammeStore,
  SubscriptionStore,
  TenantStore,
} from '../domain/ports';
import type { OAuthClientService } from '../domain/oauth-clients';
import type { RewardCatalogue } from '../domain/reward-catalogue';
import type { TenantAdmin } from '../domain/tenants';
import type { DeliveryLog, EndpointHealthStore, WebhookSender } from '../domain/webhooks/ports';
import type { ReplayService } from '../domain/webhooks/replay';
import type { Resolver } from '../domain/webhooks/ssrf-guard';
import type { Clock } from '../shared/clock';
import { Problem } from '../shared/problem';
import type { Principal, Scope } from '../domain/credentials';
import * as s from './schemas';

/** What every API operation is made of: scopes, the services it runs with, its contract, shared error responses. */
export { OPERATOR_SCOPE, TENANT_SCOPES, type Scope, type TenantScope } from '../domain/credentials';

export interface Services {
  ledger: LedgerService;
  programmes: ProgrammeStore;
  offers: OfferStore;
  catalogue: RewardCatalogue;
  subscriptions: SubscriptionStore;
  clock: Clock;
  allowLoopbackHttp: boolean;
  /** DNS for the SSRF guard (the port the guard resolves through). */
  resolver: Resolver;
  /** The webhook delivery log: messages, attempts and dead letters. */
  deliveries: DeliveryLog;
  /** Endpoint health: breaker state, failures, pause; reset when an endpoint is enabled again. */
  endpointHealth: EndpointHealthStore;
  /** Replays and redrives: new rounds queued on the FIFO delivery queue. */
  replays: ReplayService;
  /** One signed POST to an endpoint now (the test ping). */
  sendNow: WebhookSender;
  /** The tenant's audit trail: admin and security actions (`recordAudit`) and their listing. */
  audit: AuditTrail;
  /** The tenant's event feed (`GET /v1/events`). */
  feed: EventFeed;
  /** API keys: issue, list, rotate, revoke. */
  apiKeys: ApiKeyService;
  /** The admin side of tenants (operator operations). */
  tenants: TenantAdmin;
  /** Tenants as stored: the per-request status check, the limits an operation enforces. */
  tenantStore: TenantStore;
  /** OAuth clients: create, list, rotate the secret, revoke. */
  oauthClients: OAuthClientService;
  /** The tenant's lake settings (minimisation) and its pseudonymisation key. */
  lakeSettings: LakeSettingsStore;
  /** Named consumers of the event feed: settings, reads from the committed position, commits and seeks. */
  eventConsumers: FeedConsumers;
  /** Scheduled exports: definitions, runs, a run asked for now. */
  exports: ExportService;
  /** Backfills of the tenant's events to its lake: requests, progress, cancellation. */
  backfills: BackfillService;
  /** Platform maintenance windows (operators schedule them; tenants read the announced ones). */
  maintenance: MaintenanceStore;
  /** Batches of member commands: accepted, queued per member, results and progress. */
  batches: BatchService;
  /** Tenants' inbound queues (operators): create, show, remove. */
  inboundQueues: InboundQueueAdmin;
  /** Import jobs: upload URLs, start, progress, pause, resume, cancel. */
  imports: ImportService;
}

export interface OperationContext {
  event: APIGatewayProxyEvent;
  /** The caller's tenant (from its credential only); empty for operator operations, which act on the platform. */
  tenantId: string;
  /** Who calls: the audit trail names it. */
  principal: Principal;
  services: Services;
}

/** One documented response: its body schema and the headers it carries. */
export interface ResponseSpec {
  description: string;
  schema?: z.ZodMiniType;
  headers?: Record<string, { description: string; schema: { type: 'integer' | 'string' } }>;
}

/** One API operation: its contract (for OpenAPI and validation) and its implementation. */
export interface Operation {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  scope: Scope | null;
  idempotent: boolean;
  request?: z.ZodMiniType;
  query?: z.ZodMiniObject;
  responses: Record<number, ResponseSpec>;
  run(ctx: OperationContext): Promise<Reply>;
}

export const pathParam = (event: APIGatewayProxyEvent, name: string): string => {
  const value = event.pathParameters?.[name];
  if (!value || !/^[A-Za-z0-9_-]{1,64}$/.test(value))
    throw new Problem('validation_failed', `Path parameter ${name} is not valid`);
  return value;
};

export const problem = (description: string): ResponseSpec => ({ description, schema: s.problemResponse });

export const retryAfter = {
  'Retry-After': {
    description: 'Seconds to wait before sending the request again (same Idempotency-Key)',
    schema: { type: 'integer' as const },
  },
};

/** Errors every operation that reads a JSON body can answer (`parseBody` refuses before any schema check). */
export const bodyErrors = {
  413: problem('The body exceeds 64 KiB'),
  415: problem('The body is not JSON (Content-Type must be application/json)'),
};

/** Errors every operation can answer; 429 and 503 ask for a retry after `Retry-After` (see the README). */
export const errors = {
  400: problem('Invalid request'),
  401: problem('Missing or invalid credentials'),
  403: problem('Insufficient scope'),
  429: { ...problem('Too many requests: the API is throttled'), headers: retryAfter },
  503: {
    ...problem('A dependency is briefly unavailable (timeout, throttling); retry with the same Idempotency-Key'),
    headers: retryAfter,
  },
};
