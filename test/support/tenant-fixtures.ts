import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTenantStore } from '../../functions/adapters/dynamo-tenant-store';
import { keyIdOf } from '../../functions/domain/api-keys';
import { TENANT_SCOPES } from '../../functions/api/operations';
import { table } from '../../functions/declaration/topology';
import { keys } from '../../functions/domain/keys';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { configureReceiver, twinApi } from './twin-api';
import { waitFor, type RunningTwin } from './twin-process';

/** The ids a route's path parameters (and request bodies) name, one of each kind a tenant owns. */
export interface TenantIds {
  /** The admin routes' path parameter. */
  tenantId: string;
  memberId: string;
  entryId: string;
  offerId: string;
  rewardId: string;
  campaignId: string;
  redemptionId: string;
  subscriptionId: string;
  eventId: string;
  /** The id of the tenant's own API key. */
  keyId: string;
  /** Its OAuth client. */
  clientId: string;
  /** Its named event feed consumer. */
  consumerId: string;
  /** Its scheduled export. */
  exportId: string;
  /** A backfill of its last minute (it may still run). */
  backfillId: string;
  /** A batch of one command (it may still run). */
  batchId: string;
  /** An import job waiting for its upload. */
  importId: string;
  /** A platform maintenance window (the admin routes' path parameter): no tenant's; set by the test that needs it. */
  maintenanceId?: string;
  /** A maintenance window of its endpoint, a month ahead (it holds nothing meanwhile). */
  windowId: string;
}

/** A tenant of the twin with real data made through the API with its own key. */
export interface SeededTenant {
  tenantId: string;
  apiKey: string;
  /** The receiver endpoint name its webhook endpoint posts to. */
  receiverName: string;
  ids: TenantIds;
  /** Its second member: list pages of two, so a cursor exists. */
  otherMemberId: string;
  /** Its OAuth client (every tenant scope), with the secret that gets it tokens. */
  oauthClient: { clientId: string; clientSecret: string };
  /** Every value that is this tenant's own: none may appear in an answer to another tenant. */
  secrets: string[];
}

/**
 * Direct access to the twin's table for making tenants and their keys, and for states no API makes at once (a key
 * revoked or expired before its first use, the first operator key): the same records the authorizer reads. Tenants
 * are suspended through the admin API.
 */
export function tenantTable(twin: Pick<RunningTwin, 'endpoints'>) {
  const client = new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: REGION, credentials: CREDENTIALS });
  const documents = DynamoDBDocumentClient.from(client);
  const store = new DynamoTenantStore(documents, table.localName);
  const setStatus = (key: Record<string, string>, status: string) =>
    documents.send(
      new UpdateCommand({
        TableName: table.localName,
        Key: key,
        UpdateExpression: 'SET #status = :status',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status },
      }),
    );
  return {
    /** A new active tenant with a key of `scopes`, or one more key of it (the tenant is put again, unchanged). */
    issueKey: async (tenantId: string, scopes: readonly string[] = TENANT_SCOPES) =>
      (await store.createTenantWithKey({ tenantId, name: `Tenant ${tenantId}`, status: 'active' }, [...scopes])).apiKey,
    /** An operator key (scope `admin`), as the one-time bootstrap makes it. */
    issueOperatorKey: async () => (await store.createOperatorKey()).apiKey,
    revokeKey: (apiKey: string) => setStatus(keys.apiKey(keyIdOf(apiKey) ?? ''), 'revoked'),
    /** The key's expiry moved into the past, as if it had been issued with one that has passed. */
    expireKey: (apiKey: string) =>
      documents.send(
        new UpdateCommand({
          TableName: table.localName,
          Key: keys.apiKey(keyIdOf(apiKey) ?? ''),
          UpdateExpression: 'SET expiresAt = :past',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':past': new Date(Date.now() - 60_000).toISOString() },
        }),
      ),
    destroy: () => {
      client.destroy();
    },
  };
}

const unique = () => randomBytes(6).toString('hex');

/**
 * Gives a tenant one of everything through the API with its own key: a webhook endpoint on the
 * sample receiver (and messages delivered to it), a funded campaign, a manual reward with stock,
 * an offer, two members with earnings and a reward redemption. Names carry the tenant's id, so a
 * leak is recognisable.
 */
export async function seedTenant(twin: RunningTwin, tenantId: string, apiKey: string): Promise<SeededTenant> {
  const api = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey } });
  const ok = async <T>(answer: Promise<{ status: number; body: T }>, what: string): Promise<T> => {
    const { status, body } = await answer;
    if (status >= 300) throw new Error(`${tenantId}: ${what} answered ${status}: ${JSON.stringify(body)}`);
    return body;
  };
  const receiverName = `iso-${tenantId}`;
  const endpoint = await ok(
    api<{ subscriptionId: string; secret: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/${receiverName}`, eventTypes: ['*'] },
      idempotent: false,
    }),
    'creating the endpoint',
  );
  await configureReceiver(twin, receiverName, { secrets: [endpoint.secret] });
  const monthAhead = Date.now() + 30 * 86_400_000;
  const maintenance = await ok(
    api<{ windowId: string }>(`/v1/webhooks/endpoints/${endpoint.subscriptionId}/maintenance-windows`, {
      body: { startsAt: new Date(monthAhead).toISOString(), endsAt: new Date(monthAhead + 3_600_000).toISOString() },
      idempotent: false,
    }),
    'declaring a maintenance window',
  );
  const oauthClient = await ok(
    api<{ clientId: string; clientSecret: string }>('/v1/oauth-clients', {
      body: { name: `Client of ${tenantId}`, scopes: TENANT_SCOPES },
      idempotent: false,
    }),
    'creating the OAuth client',
  );
  const consumer = await ok(
    api<{ consumerId: string }>('/v1/event-consumers', {
      body: { name: `Consumer of ${tenantId}`, types: 'points.*' },
      idempotent: false,
    }),
    'creating the event consumer',
  );

  const scheduled = await ok(
    api<{ exportId: string }>('/v1/exports', {
      body: { dataset: 'members', cadence: 'daily' },
      idempotent: false,
    }),
    'defining the export',
  );

  // Ids the client chooses are random, not derived from the tenant's: a leak of one is found by itself.
  const campaignId = `cmp-${unique()}`;
  const rewardId = `rwd-${unique()}`;
  const offerId = `ofr-${unique()}`;
  await ok(api(`/v1/campaigns/${campaignId}`, { method: 'PUT', body: { name: `Campaign of ${tenantId}` } }), 'PUT');
  await ok(api(`/v1/campaigns/${campaignId}/funds`, { body: { amountPoints: 10_000 } }), 'funding');
  const reward = { name: `Reward of ${tenantId}`, pointsCost: 100, fulfilment: 'manual' };
  await ok(api(`/v1/rewards/${rewardId}`, { method: 'PUT', body: reward }), 'PUT reward');
  await ok(api(`/v1/rewards/${rewardId}/stock`, { body: { quantity: 5 } }), 'stock');
  const window = { startsAt: new Date(Date.now() - 86_400_000).toISOString(), endsAt: '2099-01-01T00:00:00Z' };
  await ok(api(`/v1/offers/${offerId}`, { method: 'PUT', body: { name: `Offer of ${tenantId}`, ...window } }), 'offer');

  const enrol = (externalId: string) =>
    ok(
      api<{ memberId: string }>('/v1/members', {
        body: { externalId, email: `${externalId}@example.com`, firstName: `Member-${tenantId}` },
      }),
      'enrolling',
    );
  const externalIds = [`ext-${unique()}`, `ext-${unique()}`];
  const { memberId } = await enrol(externalIds[0]!);
  const { memberId: otherMemberId } = await enrol(externalIds[1]!);
  const earned = await ok(
    api<{ entry: { entryId: string } }>(`/v1/members/${memberId}/points/earn`, {
      body: { amountPoints: 500, reason: `stay at ${tenantId}`, campaignId },
    }),
    'earning',
  );
  await ok(api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 50, reason: 'bonus' } }), 'earning');
  const redeemed = await ok(
    api<{ redemption: { redemptionId: string } }>(`/v1/members/${memberId}/redemptions`, { body: { rewardId } }),
    'redeeming',
  );

  // The endpoint's messages: at least two delivered (a cursor to page with), all settled.
  const messages = await waitFor(
    async () => {
      const { body } = await api<{ items: { eventId: string; status: string }[] }>(
        `/v1/webhooks/endpoints/${endpoint.subscriptionId}/messages?limit=100`,
      );
      return body.items.length >= 5 && body.items.every((m) => m.status === 'delivered') ? body.items : undefined;
    },
    { timeoutMs: 30_000, what: `the webhook messages of ${tenantId}` },
  );
  const backfill = await ok(
    api<{ backfillId: string }>('/v1/backfills', {
      body: { from: new Date(Date.now() - 60_000).toISOString(), to: new Date().toISOString() },
      idempotent: false,
    }),
    'backfill',
  );
  const batch = await ok(
    api<{ batchId: string }>('/v1/batches', {
      body: {
        commands: [{ type: 'earn', idempotencyKey: `b-${unique()}`, memberId, body: { amountPoints: 1, reason: 'x' } }],
      },
    }),
    'batch',
  );
  const imported = await ok(api<{ importId: string }>('/v1/imports', { body: { rowsPerSecond: 10 } }), 'import');
  const ids: TenantIds = {
    tenantId,
    memberId,
    entryId: earned.entry.entryId,
    offerId,
    rewardId,
    campaignId,
    redemptionId: redeemed.redemption.redemptionId,
    subscriptionId: endpoint.subscriptionId,
    eventId: messages[0]!.eventId,
    keyId: keyIdOf(apiKey) ?? '',
    clientId: oauthClient.clientId,
    consumerId: consumer.consumerId,
    exportId: scheduled.exportId,
    backfillId: backfill.backfillId,
    batchId: batch.batchId,
    importId: imported.importId,
    windowId: maintenance.windowId,
  };
  return {
    tenantId,
    apiKey,
    receiverName,
    ids,
    otherMemberId,
    oauthClient: { clientId: oauthClient.clientId, clientSecret: oauthClient.clientSecret },
    secrets: [
      tenantId,
      apiKey,
      endpoint.secret,
      oauthClient.clientSecret,
      otherMemberId,
      ...externalIds,
      ...Object.values(ids),
      ...messages.map((message) => message.eventId),
    ],
  };
}
