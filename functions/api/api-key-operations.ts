import * as z from '../shared/zod';
import { LAST_USED_GRANULARITY_MS, MAX_ROTATION_OVERLAP_SECONDS, statusOf, type ApiKey } from '../domain/api-keys';
import type { ApiKeyOwner } from '../domain/api-keys';
import { TENANT_SCOPES } from '../domain/credentials';
import { recordAudit } from './audit-operations';
import { pageView } from './ledger-views';
import { pathParam, problem, type Operation, type OperationContext } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';
import { listQuery, problemResponse } from './schemas';

/**
 * API keys: a tenant manages its own (scope `credentials:manage`); operators issue a tenant's first key. The
 * secret is in the answer that creates or rotates a key and never again. These writes take no Idempotency-Key:
 * a stored reply would keep the secret in the table; a retried create makes a second key (revoke the spare).
 */

const LAST_USED_NOTE =
  `Recorded by the authorizer at most once a minute per key (${LAST_USED_GRANULARITY_MS / 1000} s granularity): ` +
  'a key used just now may show a time up to a minute old';

const apiKeyResponse = z.object({
  keyId: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  status: z.enum(['active', 'expired', 'revoked']),
  createdAt: z.string(),
  expiresAt: z.optional(z.string()),
  lastUsedAt: z.optional(z.string()).check(z.describe(LAST_USED_NOTE)),
  rotatedAt: z.optional(z.string()),
  previousSecretRetiresAt: z
    .optional(z.string())
    .check(z.describe('After a rotation: when the secret before it stops working')),
  revokedAt: z.optional(z.string()),
});
const issuedKeyResponse = z.extend(apiKeyResponse, {
  apiKey: z.string().check(z.describe('The secret, shown this once: send it in the x-api-key header')),
});
const apiKeyListResponse = z.object({ items: z.array(apiKeyResponse), nextCursor: z.optional(z.string()) });

const createApiKeyRequest = z.strictObject({
  name: z
    .string()
    .check(z.trim(), z.minLength(1), z.maxLength(100), z.describe('What the key is for, e.g. "checkout service"')),
  scopes: z
    .array(z.enum(TENANT_SCOPES))
    .check(
      z.minLength(1),
      z.maxLength(TENANT_SCOPES.length),
      z.describe('Scopes of the new key; a tenant credential can only hand out scopes it holds itself'),
    ),
  expiresAt: z.optional(z.iso.datetime({ offset: true })).check(z.describe('When the key stops working by itself')),
});
const rotateApiKeyRequest = z.strictObject({
  overlapSeconds: z
    .number()
    .check(
      z.int(),
      z.gte(0),
      z.lte(MAX_ROTATION_OVERLAP_SECONDS),
      z.describe('How long the current secret keeps working beside the new one (0: it stops at once)'),
    ),
});
const revokeApiKeyRequest = z.strictObject({});

function apiKeyView(key: ApiKey, now: Date) {
  const overlapping = key.previousSecretRetiresAt && Date.parse(key.previousSecretRetiresAt) > now.getTime();
  return {
    keyId: key.keyId,
    name: key.name,
    scopes: key.scopes,
    status: statusOf(key, now),
    createdAt: key.createdAt,
    ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}),
    ...(key.lastUsedAt ? { lastUsedAt: key.lastUsedAt } : {}),
    ...(key.rotatedAt ? { rotatedAt: key.rotatedAt } : {}),
    ...(overlapping && key.status === 'active' ? { previousSecretRetiresAt: key.previousSecretRetiresAt } : {}),
    ...(key.revokedAt ? { revokedAt: key.revokedAt } : {}),
  };
}

const ownKeys = { tag: 'API keys', scope: 'credentials:manage' } as const;
const ownerOf = (ctx: OperationContext): ApiKeyOwner => ({ kind: 'tenant', tenantId: ctx.tenantId });
const keyIdOfPath = (ctx: OperationContext) => pathParam(ctx.event, 'keyId');
const notFound = problem('No such API key (of this tenant)');

/** What the audit trail keeps of an issued key: its scopes and expiry, never its secret. */
const issuedData = (key: ApiKey) => ({ scopes: key.scopes, ...(key.expiresAt ? { expiresAt: key.expiresAt } : {}) });

export const apiKeyOperations: Operation[] = [
  writeOperation({
    ...ownKeys,
    method: 'POST',
    path: '/v1/api-keys',
    operationId: 'createApiKey',
    summary: 'Issue an API key; its secret is returned once',
    request: createApiKeyRequest,
    responses: { 201: { description: 'Issued', schema: issuedKeyResponse } },
    run: async (ctx, body) => {
      const { key, apiKey } = await ctx.services.apiKeys.createTenantKey(ctx.principal, ctx.tenantId, body);
      await recordAudit(ctx, 'audit.api_key.created', key.keyId, issuedData(key));
      return { statusCode: 201, body: { ...apiKeyView(key, ctx.services.clock.now()), apiKey } };
    },
  }),
  readOperation({
    ...ownKeys,
    path: '/v1/api-keys',
    operationId: 'listApiKeys',
    summary: "The tenant's API keys in creation order, without secrets, with their last use",
    query: z.strictObject(listQuery),
    ok: { description: 'Keys', schema: apiKeyListResponse },
    read: async (ctx, query) => {
      const now = ctx.services.clock.now();
      return pageView(await ctx.services.apiKeys.list(ownerOf(ctx), query), (key) => apiKeyView(key, now));
    },
  }),
  readOperation({
    ...ownKeys,
    path: '/v1/api-keys/{keyId}',
    operationId: 'getApiKey',
    summary: 'One API key, without its secret',
    ok: { description: 'The key', schema: apiKeyResponse },
    notFound: 'No such API key (of this tenant)',
    read: async (ctx) =>
      apiKeyView(await ctx.services.apiKeys.get(ownerOf(ctx), keyIdOfPath(ctx)), ctx.services.clock.now()),
  }),
  writeOperation({
    ...ownKeys,
    method: 'POST',
    path: '/v1/api-keys/{keyId}/rotate',
    operationId: 'rotateApiKey',
    summary: 'A new secret for the key (returned once); the current one keeps working for overlapSeconds',
    request: rotateApiKeyRequest,
    responses: {
      200: { description: 'Rotated', schema: issuedKeyResponse },
      404: notFound,
      409: problem('The key is revoked, or was rotated meanwhile'),
    },
    run: async (ctx, body) => {
      const { services } = ctx;
      const { key, apiKey } = await services.apiKeys.rotate(
        ctx.principal,
        ownerOf(ctx),
        keyIdOfPath(ctx),
        body.overlapSeconds,
      );
      const overlapEndsAt = key.previousSecretRetiresAt ?? key.rotatedAt ?? services.clock.now().toISOString();
      await recordAudit(ctx, 'audit.api_key.rotated', key.keyId, { newCredentialId: key.keyId, overlapEndsAt });
      return { statusCode: 200, body: { ...apiKeyView(key, services.clock.now()), apiKey } };
    },
  }),
  writeOperation({
    ...ownKeys,
    method: 'POST',
    path: '/v1/api-keys/{keyId}/revoke',
    operationId: 'revokeApiKey',
    summary: 'Revoke the key (both secrets during a rotation); it stops working within the authorizer cache time',
    request: revokeApiKeyRequest,
    responses: { 200: { description: 'Revoked', schema: apiKeyResponse }, 404: notFound },
    run: async (ctx) => {
      const key = await ctx.services.apiKeys.revoke(ctx.principal, ownerOf(ctx), keyIdOfPath(ctx));
      await recordAudit(ctx, 'audit.api_key.revoked', key.keyId, {});
      return { statusCode: 200, body: apiKeyView(key, ctx.services.clock.now()) };
    },
  }),
  writeOperation({
    tag: 'Admin',
    scope: 'admin',
    method: 'POST',
    path: '/admin/tenants/{tenantId}/api-keys',
    operationId: 'issueTenantApiKey',
    summary: "Operators: issue a key to a tenant (onboarding's first key); its secret is returned once",
    request: createApiKeyRequest,
    responses: {
      201: { description: 'Issued', schema: issuedKeyResponse },
      404: { description: 'No such tenant', schema: problemResponse },
    },
    run: async (ctx, body) => {
      const tenantId = pathParam(ctx.event, 'tenantId');
      const { key, apiKey } = await ctx.services.apiKeys.createTenantKey(ctx.principal, tenantId, body);
      await recordAudit(ctx, 'audit.api_key.created', key.keyId, issuedData(key), { tenantId });
      return { statusCode: 201, body: { ...apiKeyView(key, ctx.services.clock.now()), apiKey } };
    },
  }),
];
