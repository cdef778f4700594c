import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
  type APIGatewayClient,
  type ApiKey,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import type { TenantThrottling, ThrottleLimits } from '../domain/ports';

/** The API stage whose callers are throttled: usage plans serve it, named after it. */
export interface ThrottledStage {
  restApiId: string;
  stage: string;
}

const PAGE = 500;

/**
 * Per-tenant throttling with API Gateway usage plans. Usage plan throttles apply per API key, so one plan per
 * distinct (rate, burst) on this stage serves every tenant with those limits, and each tenant has its own API
 * key in the plan of its limits. The REST API takes the key from the authorizer (`apiKeySourceType: AUTHORIZER`),
 * so the key is a usage identifier only: callers never see or send it.
 *
 * Plans and keys are found by name (this stage's prefix), so applying again reuses them. A key may be in only one
 * plan of a stage, so a change of limits takes the key out of its old plan before adding it to the new one: the
 * tenant's calls in those few milliseconds are refused (403), as a key in no plan is.
 */
export class ApiGatewayThrottling implements TenantThrottling {
  constructor(
    private readonly client: APIGatewayClient,
    private readonly target: ThrottledStage,
  ) {}

  async apply(tenantId: string, limits: ThrottleLimits): Promise<string> {
    const plan = await this.planFor(limits);
    const key = await this.keyOf(tenantId);
    const current = await this.plansOfKey(key.id);
    for (const old of current.filter((candidate) => candidate.id !== plan.id)) {
      await this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: old.id, keyId: key.id }));
    }
    if (!current.some((candidate) => candidate.id === plan.id)) {
      await this.client.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: key.id, keyType: 'API_KEY' }),
      );
    }
    return key.value;
  }

  private get prefix(): string {
    return `loyalty-${this.target.restApiId}-${this.target.stage}`;
  }

  /** The plan's name says its limits: the plan for a (rate, burst) is found again by it. */
  planName(limits: ThrottleLimits): string {
    return `${this.prefix}-rps${limits.requestsPerSecond}-burst${limits.burst}`;
  }

  keyName(tenantId: string): string {
    return `${this.prefix}-tenant-${tenantId}`;
  }

  private async planFor(limits: ThrottleLimits): Promise<{ id: string }> {
    const name = this.planName(limits);
    const existing = (await this.plans()).find((plan) => plan.name === name);
    if (existing?.id) return { id: existing.id };
    const created = await this.client.send(
      new CreateUsagePlanCommand({
        name,
        description: `Tenants of ${this.target.stage} limited to ${limits.requestsPerSecond}/s, burst ${limits.burst}`,
        throttle: { rateLimit: limits.requestsPerSecond, burstLimit: limits.burst },
        apiStages: [{ apiId: this.target.restApiId, stage: this.target.stage }],
      }),
    );
    if (!created.id) throw new Error(`API Gateway created usage plan ${name} without an id`);
    return { id: created.id };
  }

  private async keyOf(tenantId: string): Promise<{ id: string; value: string }> {
    const name = this.keyName(tenantId);
    const found = await this.keysNamed(name);
    const key = found ?? (await this.client.send(new CreateApiKeyCommand({ name, enabled: true })));
    if (!key.id || !key.value) throw new Error(`API key ${name} came back without id or value`);
    return { id: key.id, value: key.value };
  }

  /** The key of exactly this name (the name query matches prefixes), with its value. */
  private async keysNamed(name: string): Promise<ApiKey | undefined> {
    let position: string | undefined;
    do {
      const page = await this.client.send(
        new GetApiKeysCommand({ nameQuery: name, includeValues: true, limit: PAGE, position }),
      );
      const exact = page.items?.find((key) => key.name === name);
      if (exact) return exact;
      position = page.position;
    } while (position);
    return undefined;
  }

  /** This stage's plans the key is in (a key of ours is in no other plans). */
  private async plansOfKey(keyId: string): Promise<{ id: string }[]> {
    const plans = await this.plans(keyId);
    return plans.flatMap((plan) => (plan.id && plan.name?.startsWith(`${this.prefix}-rps`) ? [{ id: plan.id }] : []));
  }

  private async plans(keyId?: string): Promise<UsagePlan[]> {
    const all: UsagePlan[] = [];
    let position: string | undefined;
    do {
      const page = await this.client.send(new GetUsagePlansCommand({ keyId, limit: PAGE, position }));
      all.push(...(page.items ?? []));
      position = page.position;
    } while (position);
    return all;
  }
}
