import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAuditTrail } from '../adapters/dynamo-audit-trail';
import { DynamoOfferStore } from '../adapters/dynamo-offer-store';
import { DynamoRewardStore } from '../adapters/dynamo-reward-store';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { catalogueReplies } from '../api/catalogue-views';
import type { CommandServices, ExternalIdResolver } from '../api/inbound-commands';
import { RewardCatalogue } from '../domain/reward-catalogue';
import { systemClock } from '../shared/clock';
import { ledgerWiring } from './ledger';

/**
 * What queued commands and import rows are applied with: the ledger side only (ledger, offers, reward catalogue,
 * audit trail, tenants), all on the table, and the resolver of members' external ids.
 */
export function commandServicesOn(
  dynamo: DynamoDBDocumentClient,
  tableName: string,
): { services: CommandServices; resolve: ExternalIdResolver } {
  const { ledger, store } = ledgerWiring(dynamo);
  return {
    services: {
      ledger,
      offers: new DynamoOfferStore(dynamo, tableName),
      catalogue: new RewardCatalogue(new DynamoRewardStore(dynamo, tableName), store, systemClock, catalogueReplies),
      audit: new DynamoAuditTrail(dynamo, tableName),
      clock: systemClock,
      tenantStore: new DynamoTenantStore(dynamo, tableName),
    },
    resolve: (tenantId, externalId) => store.findMemberIdByExternalId(tenantId, externalId),
  };
}
