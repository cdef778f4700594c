import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoTenantStore, TENANT_STATUS_REPLICAS } from '../../functions/adapters/dynamo-tenant-store';
import { refuseSuspendedTenant } from '../../functions/api/tenant-status';
import { keys } from '../../functions/domain/keys';
import { newTenant, reactivatedTenant, suspendedTenant } from '../../functions/domain/tenants';
import { Problem } from '../../functions/shared/problem';
import { useLocalTable } from '../support/local-table';

/**
 * The tenant's status replicas against DynamoDB Local: every change of the tenant writes them in its transaction,
 * so the request after a suspension is refused whichever replica it reads; a tenant from before them is read from
 * its own item and gets them, unless it changed meanwhile.
 */
let store: DynamoTenantStore;
const local = useLocalTable(({ documents, tableName }) => {
  store = new DynamoTenantStore(documents, tableName);
});

const T0 = new Date('2026-12-01T10:00:00.000Z');
const T1 = new Date('2026-12-01T10:01:00.000Z');
const T2 = new Date('2026-12-01T10:02:00.000Z');

const replicaStatuses = async (tenantId: string) => {
  const statuses: unknown[] = [];
  for (let replica = 0; replica < TENANT_STATUS_REPLICAS; replica++) {
    const { Item } = await local.documents.send(
      new GetCommand({ TableName: local.tableName, Key: keys.tenantStatus(tenantId, replica), ConsistentRead: true }),
    );
    statuses.push(Item?.status);
  }
  return statuses;
};

/** What the API answers a tenant's requests, one after another: null when served, else the problem's code. */
const answers = async (tenantStore: DynamoTenantStore, tenantId: string, requests: number) => {
  const codes: (string | null)[] = [];
  for (let i = 0; i < requests; i++) {
    try {
      await refuseSuspendedTenant({ tenantStore }, tenantId);
      codes.push(null);
    } catch (error) {
      codes.push((error as Problem).code);
    }
  }
  return codes;
};

const every = (value: unknown, count: number) => new Array<unknown>(count).fill(value);

describe('tenant status replicas', () => {
  it('refuses the next request after a suspension, whichever replica it reads; serves it reactivated', async () => {
    // Prepare: a tenant served (every replica written with it).
    const tenant = newTenant({ tenantId: 'rep-a', name: 'A' }, T0);
    await store.createTenant(tenant);
    const before = await answers(store, 'rep-a', 8);
    const created = await replicaStatuses('rep-a');

    // Act: suspend, then ask as many times as it takes to read every replica in all likelihood; reactivate.
    const suspended = suspendedTenant(tenant, T1);
    const saved = await store.saveTenant(suspended, tenant.updatedAt);
    const whileSuspended = await answers(store, 'rep-a', 4 * TENANT_STATUS_REPLICAS);
    const afterSuspension = await replicaStatuses('rep-a');
    await store.saveTenant(reactivatedTenant(suspended, T2), suspended.updatedAt);
    const afterReactivation = await answers(store, 'rep-a', 8);

    // Assess
    expect(before).toEqual(every(null, 8));
    expect(created).toEqual(every('active', TENANT_STATUS_REPLICAS));
    expect(saved).toBe(true);
    expect(whileSuspended).toEqual(every('tenant_suspended', 4 * TENANT_STATUS_REPLICAS));
    expect(afterSuspension).toEqual(every('suspended', TENANT_STATUS_REPLICAS));
    expect(afterReactivation).toEqual(every(null, 8));
  });

  it('writes no replica when the change loses to another one (the replicas keep the winner)', async () => {
    // Prepare
    const tenant = newTenant({ tenantId: 'rep-b', name: 'B' }, T0);
    await store.createTenant(tenant);
    await store.saveTenant(suspendedTenant(tenant, T1), tenant.updatedAt);

    // Act: a reactivation over the version before the suspension.
    const saved = await store.saveTenant(reactivatedTenant(tenant, T2), tenant.updatedAt);

    // Assess
    expect(saved).toBe(false);
    expect(await replicaStatuses('rep-b')).toEqual(every('suspended', TENANT_STATUS_REPLICAS));
    expect(await answers(store, 'rep-b', 4)).toEqual(every('tenant_suspended', 4));
  });

  it('reads a tenant from before the replicas from its own item, and writes its replicas then', async () => {
    // Prepare: a suspended tenant item as stored before replicas existed (and before versions, no updatedAt).
    await local.documents.send(
      new PutCommand({
        TableName: local.tableName,
        Item: { ...keys.tenant('rep-c'), kind: 'tenant', tenantId: 'rep-c', name: 'C', status: 'suspended' },
      }),
    );
    const missing = await replicaStatuses('rep-c');

    // Act
    const status = await store.getTenantStatus('rep-c');
    const unknown = await store.getTenantStatus('rep-nobody');

    // Assess
    expect(missing).toEqual(every(undefined, TENANT_STATUS_REPLICAS));
    expect(status).toEqual({ status: 'suspended' });
    expect(unknown).toBeNull();
    expect(await replicaStatuses('rep-c')).toEqual(every('suspended', TENANT_STATUS_REPLICAS));
    expect(await replicaStatuses('rep-nobody')).toEqual(every(undefined, TENANT_STATUS_REPLICAS));
  });

  it('does not write a tenant’s replicas from a read that a change overtook', async () => {
    // Prepare: an active tenant without replicas; the tenant is suspended just after the store reads its item.
    const tenant = newTenant({ tenantId: 'rep-d', name: 'D' }, T0);
    await local.documents.send(
      new PutCommand({ TableName: local.tableName, Item: { ...keys.tenant('rep-d'), kind: 'tenant', ...tenant } }),
    );
    const admin = new DynamoTenantStore(local.documents, local.tableName);
    let overtaken = false;
    const racing = {
      send: async (command: GetCommand) => {
        const answer = await local.documents.send(command);
        if (!overtaken && command instanceof GetCommand && command.input.Key?.sk === 'TENANT') {
          overtaken = true;
          await admin.saveTenant(suspendedTenant(tenant, T1), tenant.updatedAt);
        }
        return answer;
      },
    } as unknown as DynamoDBDocumentClient;
    const reader = new DynamoTenantStore(racing, local.tableName);

    // Act: the read saw the tenant active (the request came before the suspension).
    const status = await reader.getTenantStatus('rep-d');

    // Assess: the replicas hold the suspension, not the older read; the next request is refused.
    expect(overtaken).toBe(true);
    expect(status).toEqual({ status: 'active' });
    expect(await replicaStatuses('rep-d')).toEqual(every('suspended', TENANT_STATUS_REPLICAS));
    expect(await answers(store, 'rep-d', 4)).toEqual(every('tenant_suspended', 4));
  });

  it('gives the demo seed’s tenants their replicas too', async () => {
    // Act
    await store.createTenantWithKey({ tenantId: 'rep-e', name: 'E', status: 'active' }, ['members:read']);

    // Assess
    expect(await replicaStatuses('rep-e')).toEqual(every('active', TENANT_STATUS_REPLICAS));
  });
});
