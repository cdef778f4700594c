import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parseArgs } from 'node:util';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { ApiGatewayThrottling } from '../functions/adapters/api-gateway-throttling';
import { DynamoTenantStore } from '../functions/adapters/dynamo-tenant-store';
import { TENANT_SCOPES } from '../functions/api/operations';
import { applyTenantLimits } from '../functions/domain/tenant-throttling';

/**
 * `npm run tenant:create -- --table <name> --tenant <id> --name <name>`: creates a tenant and an
 * API key on a deployment (until the admin API exists). AWS credentials, region and endpoint come
 * from the environment as for any SDK call (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
 * The key goes alone to stdout, once (only its hash is stored); everything else to stderr.
 */
const USAGE = `Usage: npm run -s tenant:create -- --table <table name> --tenant <id> --name <display name>
         [--scopes ${TENANT_SCOPES.join(',')}] [--add-key] [--api <rest api id>/<stage>]

  --table     the ledger table (stack LoyaltyLedger-<stage>, resource type AWS::DynamoDB::Table)
  --tenant    the tenant id: letters, digits, '-' and '_', at most 64
  --name      the tenant's display name
  --scopes    comma-separated scopes of the key (default: all)
  --add-key   the tenant exists already: issue one more key (its name and status stay)
  --api       the REST API and stage (deployed: required): puts the tenant in the usage plan of its limits,
              without which API Gateway refuses its calls`;

function fail(message: string, code: number): never {
  console.error(`tenant:create: ${message}`);
  process.exit(code);
}

const { values } = parseArgs({
  options: {
    table: { type: 'string' },
    tenant: { type: 'string' },
    name: { type: 'string' },
    scopes: { type: 'string' },
    'add-key': { type: 'boolean', default: false },
    api: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!values.table || !values.tenant || (!values.name && !values['add-key'])) {
  fail(`--table, --tenant and --name are required\n\n${USAGE}`, 2);
}
// Keys are built as `T#<id>`: a '#' or an unbounded id would break them.
if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(values.tenant)) {
  fail(`tenant id '${values.tenant}' must be letters, digits, '-' and '_' (at most 64)`, 2);
}
const scopes = values.scopes ? values.scopes.split(',').map((scope) => scope.trim()) : [...TENANT_SCOPES];
const unknown = scopes.filter((scope) => !(TENANT_SCOPES as readonly string[]).includes(scope));
if (unknown.length > 0) fail(`unknown scope(s) ${unknown.join(', ')}; known: ${TENANT_SCOPES.join(', ')}`, 2);

const client = new DynamoDBClient({});
try {
  const tenants = new DynamoTenantStore(DynamoDBDocumentClient.from(client), values.table);
  const existing = await tenants.getTenant(values.tenant);
  if (existing && !values['add-key']) {
    fail(`tenant ${values.tenant} exists ('${existing.name}'); --add-key issues another key`, 1);
  }
  if (!existing && values['add-key']) {
    fail(`tenant ${values.tenant} does not exist; leave out --add-key (and give --name) to create it`, 1);
  }
  const tenant = existing ?? {
    tenantId: values.tenant,
    name: values.name ?? fail(`--name is required to create tenant ${values.tenant}`, 2),
    status: 'active' as const,
  };
  const { keyId, apiKey } = await tenants.createTenantWithKey(tenant, scopes);
  if (values.api) {
    const [restApiId = '', stage = ''] = values.api.split('/');
    const gateway = new APIGatewayClient({});
    try {
      const throttling = new ApiGatewayThrottling(gateway, { restApiId, stage });
      await applyTenantLimits(existing ?? tenant, { throttling, tenants });
      console.error(`tenant ${tenant.tenantId} is in the usage plan of its limits on ${values.api}`);
    } finally {
      gateway.destroy();
    }
  }
  const summary = `tenant ${tenant.tenantId} ('${tenant.name}', ${tenant.status}), key ${keyId}`;
  console.error(`${summary}, scopes ${scopes.join(',')}`);
  console.error('The API key follows on stdout, shown this once (only its hash is stored):');
  console.log(apiKey);
} catch (error) {
  fail(`${(error as Error).name}: ${(error as Error).message}`, 1);
} finally {
  client.destroy();
}
