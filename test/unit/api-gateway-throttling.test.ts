import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { ApiGatewayThrottling } from '../../functions/adapters/api-gateway-throttling';
import { applyTenantLimits } from '../../functions/domain/tenant-throttling';

/** API Gateway's usage plans and keys in memory, as far as the adapter uses them (one stage; names unique). */
function fakeApiGateway() {
  const mock = mockClient(APIGatewayClient);
  const plans = new Map<string, { name: string; throttle: unknown; apiStages: unknown; keys: Set<string> }>();
  const keys = new Map<string, { name: string; value: string }>();
  let ids = 0;
  mock.on(GetUsagePlansCommand).callsFake((input: { keyId?: string }) => ({
    items: [...plans.entries()]
      .filter(([, plan]) => !input.keyId || plan.keys.has(input.keyId))
      .map(([id, plan]) => ({ id, name: plan.name, throttle: plan.throttle, apiStages: plan.apiStages })),
  }));
  mock.on(CreateUsagePlanCommand).callsFake((input: { name: string; throttle: unknown; apiStages: unknown }) => {
    const id = `plan${++ids}`;
    plans.set(id, { ...input, keys: new Set() });
    return { id, ...input };
  });
  mock.on(GetApiKeysCommand).callsFake((input: { nameQuery: string }) => ({
    items: [...keys.entries()]
      .filter(([, key]) => key.name.startsWith(input.nameQuery))
      .map(([id, key]) => ({ id, ...key })),
  }));
  mock.on(CreateApiKeyCommand).callsFake((input: { name: string }) => {
    const id = `key${++ids}`;
    keys.set(id, { name: input.name, value: `value${ids}`.padEnd(40, 'x') });
    return { id, ...keys.get(id) };
  });
  mock.on(CreateUsagePlanKeyCommand).callsFake((input: { usagePlanId: string; keyId: string }) => {
    const plan = plans.get(input.usagePlanId)!;
    // API Gateway refuses a key in two plans of the same stage.
    if ([...plans.values()].some((other) => other.keys.has(input.keyId))) throw new Error('ConflictException');
    plan.keys.add(input.keyId);
    return {};
  });
  mock.on(DeleteUsagePlanKeyCommand).callsFake((input: { usagePlanId: string; keyId: string }) => {
    plans.get(input.usagePlanId)!.keys.delete(input.keyId);
    return {};
  });
  return { mock, plans, keys };
}

const stage = { restApiId: 'abc123', stage: 'prod' };

describe('API Gateway throttling', () => {
  it('shares one usage plan per (rate, burst) and gives each tenant its own key in it', async () => {
    const { plans, keys } = fakeApiGateway();
    const throttling = new ApiGatewayThrottling(new APIGatewayClient({ region: 'eu-west-1' }), stage);

    const a = await throttling.apply('t_a', { requestsPerSecond: 50, burst: 100 });
    const b = await throttling.apply('t_b', { requestsPerSecond: 50, burst: 100 });
    const again = await throttling.apply('t_a', { requestsPerSecond: 50, burst: 100 });

    expect(a).not.toBe(b);
    expect(again).toBe(a);
    expect(keys.size).toBe(2);
    expect([...plans.values()].map((plan) => [plan.name, plan.throttle, plan.apiStages, plan.keys.size])).toEqual([
      [
        'loyalty-abc123-prod-rps50-burst100',
        { rateLimit: 50, burstLimit: 100 },
        [{ apiId: 'abc123', stage: 'prod' }],
        2,
      ],
    ]);
  });

  it('moves the key to the plan of new limits, keeping its value; other tenants stay where they are', async () => {
    const { plans } = fakeApiGateway();
    const throttling = new ApiGatewayThrottling(new APIGatewayClient({ region: 'eu-west-1' }), stage);
    const before = await throttling.apply('t_a', { requestsPerSecond: 50, burst: 100 });
    await throttling.apply('t_b', { requestsPerSecond: 50, burst: 100 });

    const after = await throttling.apply('t_a', { requestsPerSecond: 5, burst: 5 });

    expect(after).toBe(before);
    const members = Object.fromEntries([...plans.values()].map((plan) => [plan.name, plan.keys.size]));
    expect(members).toEqual({ 'loyalty-abc123-prod-rps50-burst100': 1, 'loyalty-abc123-prod-rps5-burst5': 1 });
  });

  it('records the usage key on the tenant when it is new, with the default limits when it has none', async () => {
    const { plans } = fakeApiGateway();
    const throttling = new ApiGatewayThrottling(new APIGatewayClient({ region: 'eu-west-1' }), stage);
    const recorded: [string, string][] = [];
    const tenants = {
      setUsageIdentifierKey: (tenantId: string, key: string) => {
        recorded.push([tenantId, key]);
        return Promise.resolve();
      },
    };

    const key = await applyTenantLimits({ tenantId: 't_a' }, { throttling, tenants });
    await applyTenantLimits({ tenantId: 't_a', usageIdentifierKey: key }, { throttling, tenants });

    expect(recorded).toEqual([['t_a', key]]);
    expect([...plans.values()].map((plan) => plan.name)).toEqual(['loyalty-abc123-prod-rps50-burst100']);
  });
});
