import * as z from '../shared/zod';
import { OPERATOR_SCOPE, TENANT_SCOPES } from '../domain/credentials';
import type { OAuthClient } from '../domain/oauth-clients';
import { recordAudit } from './audit-operations';
import { errors, pathParam, problem, type Operation } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';
import { overlapHours } from './schemas';
import { TOKEN_PATH } from './token-endpoint';

/**
 * OAuth clients (client credentials, RFC 6749 §4.4): a tenant manages its own under `/v1/oauth-clients`
 * (scope `credentials:manage`); operators create a tenant's first one under `/admin/tenants/{tenantId}`.
 * A client's secret is in the answer that creates or rotates it, and nowhere else.
 */

const clientRequest = z.strictObject({
  name: z
    .string()
    .check(z.trim(), z.minLength(1), z.maxLength(100), z.describe('What the client is, for people reading the list')),
  scopes: z
    .array(z.enum(TENANT_SCOPES))
    .check(z.minLength(1), z.maxLength(TENANT_SCOPES.length), z.describe('Scopes its tokens may carry')),
});

const rotateClientSecretRequest = z.strictObject({
  overlapHours: overlapHours(
    'How long the secrets accepted until now stay accepted beside the new one (0: not at all)',
  ),
});

const clientResponse = z.object({
  clientId: z.string().check(z.describe('Public: send it as client_id (or the Basic user name) to /oauth2/token')),
  name: z.string(),
  scopes: z.array(z.string()),
  status: z.enum(['active', 'revoked']),
  createdAt: z.string(),
  secretRotatedAt: z.optional(z.string()),
  revokedAt: z.optional(z.string()),
});
const clientWithSecretResponse = z.extend(clientResponse, {
  clientSecret: z.string().check(z.describe('Shown once: only its hash is kept')),
  tokenUrl: z.string().check(z.describe('Where the client gets access tokens (POST, client credentials grant)')),
});
const rotatedResponse = z.extend(clientWithSecretResponse, {
  previousSecretValidUntil: z
    .nullable(z.string())
    .check(z.describe('Until when the secrets accepted before still work')),
});
const clientListResponse = z.object({ items: z.array(clientResponse) });

const clientView = (client: OAuthClient) => ({
  clientId: client.clientId,
  name: client.name,
  scopes: client.scopes,
  status: client.status,
  createdAt: client.createdAt,
  ...(client.secretRotatedAt ? { secretRotatedAt: client.secretRotatedAt } : {}),
  ...(client.revokedAt ? { revokedAt: client.revokedAt } : {}),
});

const credentials = { tag: 'Credentials', scope: 'credentials:manage' as const };
const clientNotFound = problem('No such OAuth client');

export const oauthClientOperations: Operation[] = [
  writeOperation({
    ...credentials,
    method: 'POST',
    path: '/v1/oauth-clients',
    operationId: 'createOAuthClient',
    summary: 'Create an OAuth client (client credentials grant); its secret is returned once',
    request: clientRequest,
    responses: { 201: { description: 'The client with its secret', schema: clientWithSecretResponse } },
    run: async (ctx, body) => {
      const { client, clientSecret } = await ctx.services.oauthClients.create(ctx.principal, ctx.tenantId, body);
      await recordAudit(ctx, 'audit.oauth_client.created', client.clientId, { scopes: client.scopes });
      return { statusCode: 201, body: { ...clientView(client), clientSecret, tokenUrl: TOKEN_PATH } };
    },
  }),
  readOperation({
    ...credentials,
    path: '/v1/oauth-clients',
    operationId: 'listOAuthClients',
    summary: 'The tenant’s OAuth clients (never a secret)',
    ok: { description: 'The clients', schema: clientListResponse },
    read: async ({ tenantId, services }) => ({
      items: (await services.oauthClients.list(tenantId)).map(clientView),
    }),
  }),
  readOperation({
    ...credentials,
    path: '/v1/oauth-clients/{clientId}',
    operationId: 'getOAuthClient',
    summary: 'One OAuth client (never its secret)',
    ok: { description: 'The client', schema: clientResponse },
    notFound: 'No such OAuth client',
    read: async ({ event, tenantId, services }) =>
      clientView(await services.oauthClients.get(tenantId, pathParam(event, 'clientId'))),
  }),
  writeOperation({
    ...credentials,
    method: 'POST',
    path: '/v1/oauth-clients/{clientId}/rotate-secret',
    operationId: 'rotateOAuthClientSecret',
    summary:
      'Issue a new client secret (returned once); the previous one keeps working for the overlap, so the ' +
      'client can switch without a failed token request',
    request: rotateClientSecretRequest,
    responses: {
      200: { description: 'The client with its new secret', schema: rotatedResponse },
      404: clientNotFound,
      409: problem('The client is revoked, or changed meanwhile'),
    },
    run: async (ctx, { overlapHours }) => {
      const clientId = pathParam(ctx.event, 'clientId');
      const { principal, services, tenantId } = ctx;
      const rotated = await services.oauthClients.rotateSecret(principal, tenantId, clientId, overlapHours * 3600);
      const overlapEndsAt = rotated.previousSecretValidUntil;
      await recordAudit(ctx, 'audit.oauth_client.secret_rotated', clientId, overlapEndsAt ? { overlapEndsAt } : {});
      return {
        statusCode: 200,
        body: {
          ...clientView(rotated.client),
          clientSecret: rotated.clientSecret,
          tokenUrl: TOKEN_PATH,
          previousSecretValidUntil: rotated.previousSecretValidUntil,
        },
      };
    },
  }),
  {
    ...credentials,
    method: 'DELETE',
    path: '/v1/oauth-clients/{clientId}',
    operationId: 'revokeOAuthClient',
    summary: 'Revoke an OAuth client: no new tokens, and the authorizer refuses the ones it holds',
    idempotent: false,
    responses: { 200: { description: 'The revoked client', schema: clientResponse }, ...errors, 404: clientNotFound },
    run: async (ctx) => {
      const { event, tenantId, principal, services } = ctx;
      const client = await services.oauthClients.revoke(principal, tenantId, pathParam(event, 'clientId'));
      await recordAudit(ctx, 'audit.oauth_client.revoked', client.clientId, {});
      return { statusCode: 200, body: clientView(client) };
    },
  },
  writeOperation({
    tag: 'Admin',
    scope: OPERATOR_SCOPE,
    method: 'POST',
    path: '/admin/tenants/{tenantId}/oauth-clients',
    operationId: 'adminCreateOAuthClient',
    summary: 'Create an OAuth client for a tenant (onboarding); its secret is returned once',
    request: clientRequest,
    responses: {
      201: { description: 'The client with its secret', schema: clientWithSecretResponse },
      404: problem('No such tenant'),
    },
    run: async (ctx, body) => {
      const tenantId = pathParam(ctx.event, 'tenantId');
      const { client, clientSecret } = await ctx.services.oauthClients.createForTenant(ctx.principal, tenantId, body);
      await recordAudit(ctx, 'audit.oauth_client.created', client.clientId, { scopes: client.scopes }, { tenantId });
      return { statusCode: 201, body: { ...clientView(client), clientSecret, tokenUrl: TOKEN_PATH } };
    },
  }),
];
