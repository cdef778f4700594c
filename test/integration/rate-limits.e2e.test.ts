import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoTenantStore } from '../../functions/adapters/dynamo-tenant-store';
import { LocalThrottling } from '../../functions/adapters/local-throttling';
import { TENANT_SCOPES, type TenantLimits } from '../../functions/domain/credentials';
import { keys } from '../../functions/domain/keys';
import { applyTenantLimits } from '../../functions/domain/tenant-throttling';
import { table } from '../../functions/declaration/topology';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { useTwin } from '../support/twin-process';

/**
 * Per-tenant rate limits on the twin's gateway, as API Gateway's usage plans apply them deployed: a tenant
 * limited to 5 requests per second (burst 5) that sends 20 at once gets 429s with Retry-After and the gateway's
 * problem+json, while another tenant sending at the same moment gets none; after a pause the first passes again.
 */
const twin = useTwin([], { TWIN_RATE_LIMITS: 'on' });

interface Answer {
  status: number;
  retryAfter: string | null;
  contentType: string | null;
  body: { code?: string };
}

async function call(apiKey: string): Promise<Answer> {
  const response = await fetch(`${twin.apiUrl}/v1/members?limit=1`, { headers: { 'x-api-key': apiKey } });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    contentType: response.headers.get('content-type'),
    body: (await response.json()) as { code?: string },
  };
}

const count = (answers: Answer[], status: number) => answers.filter((answer) => answer.status === status).length;

async function tenantWithKey(limits?: Pick<TenantLimits, 'requestsPerSecond' | 'burst'>): Promise<string> {
  const client = new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: REGION, credentials: CREDENTIALS });
  try {
    const documents = DynamoDBDocumentClient.from(client);
    const tenants = new DynamoTenantStore(documents, table.localName);
    const tenantId = `rl-${randomBytes(4).toString('hex')}`;
    const { apiKey } = await tenants.createTenantWithKey({ tenantId, name: `Tenant ${tenantId}`, status: 'active' }, [
      ...TENANT_SCOPES,
    ]);
    if (limits) {
      const full: TenantLimits = { webhookEndpoints: 10, feedConsumers: 5, ...limits };
      await documents.send(
        new UpdateCommand({
          TableName: table.localName,
          Key: keys.tenant(tenantId),
          UpdateExpression: 'SET limits = :limits',
          ExpressionAttributeValues: { ':limits': full },
        }),
      );
      // As the admin operations do after a change of limits: the tenant's usage identifier is recorded.
      await applyTenantLimits({ tenantId, limits: full }, { throttling: new LocalThrottling(), tenants });
    }
    return apiKey;
  } finally {
    client.destroy();
  }
}

describe('per-tenant rate limits on the twin', () => {
  it('throttles a tenant past its burst (429, Retry-After), not its neighbour, and lets it pass later', async () => {
    // Prepare: a tenant at 5/s (burst 5), and one at the default limits (50/s, burst 100)
    const [limited, neighbour] = await Promise.all([
      tenantWithKey({ requestsPerSecond: 5, burst: 5 }),
      tenantWithKey(),
    ]);

    // One call each first: the authorizer's first run (a cold container) would spread the burst over time.
    expect([(await call(limited)).status, (await call(neighbour)).status]).toEqual([200, 200]);
    await new Promise((resolve) => setTimeout(resolve, 1_200));

    // Act: 20 requests at once from each
    const [limitedAnswers, neighbourAnswers] = await Promise.all([
      Promise.all(Array.from({ length: 20 }, () => call(limited))),
      Promise.all(Array.from({ length: 20 }, () => call(neighbour))),
    ]);
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const later = await Promise.all(Array.from({ length: 3 }, () => call(limited)));

    // Assess
    console.log(
      `rate limits: limited tenant (5/s, burst 5) 20 at once: ${count(limitedAnswers, 200)} × 200, ` +
        `${count(limitedAnswers, 429)} × 429; ` +
        `neighbour (defaults) 20 at once: ${count(neighbourAnswers, 200)} × 200, ` +
        `${count(neighbourAnswers, 429)} × 429; limited tenant after 1.2 s: ${count(later, 200)} of 3 × 200`,
    );
    expect(count(limitedAnswers, 429)).toBeGreaterThan(0);
    expect(count(limitedAnswers, 200) + count(limitedAnswers, 429)).toBe(20);
    expect(count(limitedAnswers, 200)).toBeLessThanOrEqual(8);
    for (const answer of limitedAnswers.filter((candidate) => candidate.status === 429)) {
      expect(answer.retryAfter).toMatch(/^\d+$/);
      expect(answer.contentType).toBe('application/problem+json');
      expect(answer.body.code).toBe('too_many_requests');
    }
    expect(count(neighbourAnswers, 200)).toBe(20);
    expect(count(later, 200)).toBe(3);
  });
});
