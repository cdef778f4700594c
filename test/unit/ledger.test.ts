import fc from 'fast-check';
import { planEarn, planEnrol, type Balance } from '../../functions/domain/ledger';
import { loyaltyEvent } from '../../functions/domain/events';

const now = new Date('2026-11-21T10:00:00.000Z');

describe('ledger planning', () => {
  it('enrols with a zero balance, seq 1 and a complete member.enrolled event', () => {
    const plan = planEnrol('t1', { externalId: 'ext-1' }, now);
    expect(plan.expectedVersion).toBeNull();
    expect(plan.balance).toMatchObject({ availablePoints: 0, lifetimePoints: 0, seq: 1, version: 1, status: 'active' });
    expect(plan.event).toMatchObject({ type: 'member.enrolled', seq: 1, tenantId: 't1', memberId: plan.memberId, occurredAt: now.toISOString() });
    expect(() => loyaltyEvent.parse(plan.event)).not.toThrow();
  });

  it('keeps balance = sum of entries, seq gap-free and lifetime growing over any run of earnings', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 50 }), (amounts) => {
        let balance: Balance = planEnrol('t1', { externalId: 'x' }, now).balance;
        let sum = 0;
        for (const [i, amountPoints] of amounts.entries()) {
          const plan = planEarn(balance, { amountPoints, reason: 'r', idempotencyKey: `k${i}` }, now);
          expect(plan.expectedVersion).toBe(balance.version);
          expect(plan.entry!.seq).toBe(balance.seq + 1);
          expect(plan.event.seq).toBe(plan.entry!.seq);
          expect(plan.entry!.availableAfter).toBe(plan.balance.availablePoints);
          loyaltyEvent.parse(plan.event);
          sum += amountPoints;
          balance = plan.balance;
        }
        expect(balance.availablePoints).toBe(sum);
        expect(balance.lifetimePoints).toBe(sum);
        expect(balance.seq).toBe(amounts.length + 1);
      }),
    );
  });

  it('refuses non-positive or fractional amounts', () => {
    const { balance } = planEnrol('t1', { externalId: 'x' }, now);
    for (const amountPoints of [0, -5, 1.5, Number.NaN]) {
      expect(() => planEarn(balance, { amountPoints, reason: 'r', idempotencyKey: 'k' }, now)).toThrow(RangeError);
    }
  });
});
