import { DynamoTenantStore } from '../../functions/adapters/dynamo-tenant-store';
import { TENANT_SCOPES } from '../../functions/api/operations';
import { DEFAULT_TENANT_LIMITS } from '../../functions/domain/credentials';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { useLocalTable } from '../support/local-table';
import { runScript } from '../support/run-script';

/** `npm run tenant:create` against DynamoDB Local, with the endpoint and credentials from the environment. */
let endpoint: string;

const table = useLocalTable();

beforeAll(async () => {
  const { protocol, hostname, port } = await table.documents.config.endpoint!();
  endpoint = `${protocol}//${hostname}:${port}`;
});

const createTenant = (args: string[]) =>
  runScript('scripts/create-tenant.ts', ['--table', table.tableName, ...args], {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  });

describe('tenant:create', () => {
  it('creates the tenant and prints a working key once, alone on stdout', async () => {
    // Act
    const run = await createTenant(['--tenant', 'acme-hotels', '--name', 'Acme Hotels']);

    // Assess: the printed key finds the tenant with every scope.
    expect(run.code).toBe(0);
    const apiKey = run.stdout.trim();
    expect(apiKey).toMatch(/^llk_[\w-]{43}$/);
    const tenants = new DynamoTenantStore(table.documents, table.tableName);
    const key = await tenants.findApiKey(apiKey);
    expect(key).toMatchObject({ tenantId: 'acme-hotels', scopes: TENANT_SCOPES, status: 'active' });
    const tenant = await tenants.getTenant('acme-hotels');
    expect(tenant).toEqual({
      tenantId: 'acme-hotels',
      name: 'Acme Hotels',
      status: 'active',
      limits: DEFAULT_TENANT_LIMITS,
      createdAt: expect.any(String),
      updatedAt: tenant?.createdAt,
    });
    expect(run.stderr).not.toContain(apiKey);
  }, 30_000);

  it('refuses to overwrite an existing tenant; --add-key issues another key with the scopes asked', async () => {
    // Prepare
    const first = await createTenant(['--tenant', 'beta-air', '--name', 'Beta Air']);

    // Act
    const again = await createTenant(['--tenant', 'beta-air', '--name', 'Renamed']);
    const added = await createTenant(['--tenant', 'beta-air', '--add-key', '--scopes', 'members:read']);

    // Assess
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("tenant beta-air exists ('Beta Air'); --add-key issues another key");
    expect(added.code).toBe(0);
    const tenants = new DynamoTenantStore(table.documents, table.tableName);
    expect(await tenants.findApiKey(first.stdout.trim())).toMatchObject({
      tenantId: 'beta-air',
      scopes: TENANT_SCOPES,
    });
    const narrow = await tenants.findApiKey(added.stdout.trim());
    expect(narrow).toMatchObject({ tenantId: 'beta-air', scopes: ['members:read'] });
    expect(await tenants.getTenant('beta-air')).toMatchObject({ name: 'Beta Air' });
  }, 30_000);

  it('rejects an unknown scope before touching the table', async () => {
    // Act
    const run = await createTenant(['--tenant', 'gamma', '--name', 'Gamma', '--scopes', 'members:read,everything']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown scope(s) everything');
    const tenants = new DynamoTenantStore(table.documents, table.tableName);
    expect(await tenants.getTenant('gamma')).toBeNull();
  }, 30_000);
});
