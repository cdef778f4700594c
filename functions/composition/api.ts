import { documentClient, sqsClient } from '../adapters/aws-clients';
import { DynamoAuditTrail } from '../adapters/dynamo-audit-trail';
import { DynamoFeedConsumerStore } from '../adapters/dynamo-feed-consumer-store';
import { DynamoExportStore } from '../adapters/dynamo-export-store';
import { DynamoFeedIndex } from '../adapters/dynamo-feed-index';
import { DynamoApiKeyStore } from '../adapters/dynamo-api-key-store';
import { DynamoOAuthClientStore } from '../adapters/dynamo-oauth-client-store';
import { DynamoLakeSettingsStore } from '../adapters/dynamo-lake-settings-store';
import { DynamoMaintenanceStore } from '../adapters/dynamo-maintenance-store';
import { DynamoOfferStore } from '../adapters/dynamo-offer-store';
import { DynamoRewardStore } from '../adapters/dynamo-reward-store';
import { DynamoSubscriptionStore } from '../adapters/dynamo-subscription-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { catalogueReplies } from '../api/catalogue-views';
import type { Services } from '../api/operations';
import { ApiKeyService } from '../domain/api-key-service';
import { ExportService } from '../domain/export-service';
import { EventFeed } from '../domain/feed';
import { FeedConsumers } from '../domain/feed-consumer-service';
import { RewardCatalogue } from '../domain/reward-catalogue';
import type { TenantThrottling } from '../domain/ports';
import { TenantAdmin } from '../domain/tenants';
import { OAuthClientService } from '../domain/oauth-clients';
import { newId } from '../shared/ids';
import { systemClock } from '../shared/clock';
import { ttlCache } from '../shared/ttl-cache';
import { setting } from './config';
import { tenantThrottling } from './throttling';
import { ledgerWiring } from './ledger';
import { webhookSecretSealer } from './secrets';
import { webhookApiWiring } from './webhooks';
import { backfillService } from './backfill';
import { batchService, inboundQueueAdmin } from './batches';
import { importService } from './imports';

/** The edge's throttling, built on the first admin change of a tenant (tenant calls never need it). */
function lazyThrottling(): TenantThrottling {
  let throttling: TenantThrottling | undefined;
  return { apply: (tenantId, limits) => (throttling ??= tenantThrottling()).apply(tenantId, limits) };
}

/** What the API's operations run with; the handler builds it once per container, on the first request. */
export function apiServices(): Services {
  const tableName = setting('TABLE_NAME');
  const dynamo = documentClient();
  const { ledger, programmes, store } = ledgerWiring(dynamo);
  const tenantStore = new DynamoTenantStore(dynamo, tableName);
  const feed = new EventFeed(
    new DynamoFeedIndex(dynamo, tableName),
    systemClock,
    (ms) => new Promise((r) => setTimeout(r, ms)),
  );
  const lakeSettings = new DynamoLakeSettingsStore(dynamo, tableName, webhookSecretSealer());
  // A consumer's read opens the tenant's pseudonym key (a KMS call): once per container and cache time, not per read.
  // The key is set only if absent, so a cached one never goes stale.
  const pseudonymKeys = ttlCache(
    (tenantId) => lakeSettings.pseudonymKey(tenantId, { create: true }),
    setting('LAKE_SETTINGS_CACHE_TTL_MS'),
    systemClock,
  );
  return {
    ledger,
    programmes,
    offers: new DynamoOfferStore(dynamo, tableName),
    catalogue: new RewardCatalogue(new DynamoRewardStore(dynamo, tableName), store, systemClock, catalogueReplies),
    subscriptions: new DynamoSubscriptionStore(dynamo, tableName, webhookSecretSealer()),
    clock: systemClock,
    audit: new DynamoAuditTrail(dynamo, tableName),
    feed,
    allowLoopbackHttp: setting('WEBHOOK_ALLOW_LOOPBACK_HTTP'),
    apiKeys: new ApiKeyService(new DynamoApiKeyStore(dynamo, tableName), systemClock),
    oauthClients: new OAuthClientService(
      new DynamoOAuthClientStore(dynamo, tableName),
      new DynamoTenantStore(dynamo, tableName),
      () => systemClock.now(),
      () => newId('occ'),
    ),
    ...webhookApiWiring(dynamo, sqsClient()),
    tenants: new TenantAdmin(tenantStore, systemClock, lazyThrottling()),
    tenantStore,
    lakeSettings,
    eventConsumers: new FeedConsumers(
      new DynamoFeedConsumerStore(dynamo, tableName),
      feed,
      { pseudonymKey: (tenantId) => pseudonymKeys.get(tenantId) },
      systemClock,
    ),
    exports: new ExportService(new DynamoExportStore(dynamo, tableName), systemClock, () => newId('exp')),
    backfills: backfillService(),
    maintenance: new DynamoMaintenanceStore(dynamo, tableName),
    batches: batchService(dynamo, ledger),
    inboundQueues: inboundQueueAdmin(dynamo),
    imports: importService(),
  };
}
