import { documentClient } from '../adapters/aws-clients';
import { DynamoMaintenanceStore, DynamoNoticeOutbox } from '../adapters/dynamo-maintenance-store';
import { DynamoJobLease } from '../adapters/job-lease';
import { DynamoTenantStore } from '../adapters/dynamo-tenant-store';
import { MaintenanceNotifier } from '../domain/maintenance-notifier';
import { systemClock } from '../shared/clock';
import { setting } from './config';
import { ledgerWiring } from './ledger';

/**
 * The scheduled job's lease (one run at a time), the ledger whose due work it runs, and the notifier that sends
 * platform maintenance notices to every active tenant.
 */
export function housekeepingWiring() {
  const dynamo = documentClient();
  const tableName = setting('TABLE_NAME');
  const tenants = new DynamoTenantStore(dynamo, tableName);
  const notifier = new MaintenanceNotifier({
    store: new DynamoMaintenanceStore(dynamo, tableName),
    outbox: new DynamoNoticeOutbox(dynamo, tableName),
    tenants: (query) => tenants.listTenants(query),
    clock: systemClock,
  });
  return { lease: new DynamoJobLease(dynamo, tableName), ledger: ledgerWiring(dynamo).ledger, notifier };
}
