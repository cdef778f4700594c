import { throttleOfContext, usageIdentityOf } from '../../functions/api/usage-identity';

describe('usage identity of a tenant', () => {
  it('names the usage key and the limits, the defaults when the tenant has none', () => {
    expect(usageIdentityOf({})).toEqual({ context: { requestsPerSecond: 50, burst: 100 } });
    expect(
      usageIdentityOf({
        usageIdentifierKey: 'k'.repeat(40),
        limits: { requestsPerSecond: 5, burst: 5, webhookEndpoints: 1, feedConsumers: 1 },
      }),
    ).toEqual({ usageIdentifierKey: 'k'.repeat(40), context: { requestsPerSecond: 5, burst: 5 } });
  });

  it('reads the throttle back from a context (numbers or strings), none for operators', () => {
    expect(throttleOfContext({ requestsPerSecond: 5, burst: 5 })).toEqual({ requestsPerSecond: 5, burst: 5 });
    expect(throttleOfContext({ requestsPerSecond: '5', burst: '10' })).toEqual({ requestsPerSecond: 5, burst: 10 });
    expect(throttleOfContext({ principal: 'operator', tenantId: '' })).toBeUndefined();
    expect(throttleOfContext({ requestsPerSecond: 'x', burst: 5 })).toBeUndefined();
    expect(throttleOfContext(undefined)).toBeUndefined();
  });
});
