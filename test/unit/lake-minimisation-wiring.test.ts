import { tenantMinimisation } from '../../functions/composition/lake';
import type { LoyaltyEvent } from '../../functions/domain/events';
import { memberPseudonym, newPseudonymKey, type MinimisationSettings } from '../../functions/domain/minimisation';
import type { LakeSettingsStore } from '../../functions/domain/ports';

const event = (tenantId: string) =>
  ({
    id: 'evt_1',
    version: 1,
    tenantId,
    memberId: 'm_1',
    seq: 1,
    occurredAt: '2026-12-01T10:00:00.000Z',
    type: 'member.reactivated',
    data: { balance: { availablePoints: 0, pendingPoints: 0, lifetimePoints: 0, tier: 'base' } },
  }) as LoyaltyEvent;

function fakeStore(settings: Record<string, MinimisationSettings>, keys: Record<string, string>) {
  const reads: string[] = [];
  const store: LakeSettingsStore = {
    get: (tenantId) => {
      reads.push(tenantId);
      const found = settings[tenantId];
      return Promise.resolve(found ? { settings: found, updatedAt: '2026-12-01T00:00:00.000Z' } : null);
    },
    put: () => Promise.resolve(),
    pseudonymKey: (tenantId) => Promise.resolve(keys[tenantId] ?? null),
  };
  return { store, reads };
}

const clock = { now: () => new Date('2026-12-01T10:00:00.000Z') };

describe('the lake router’s minimisation per tenant', () => {
  it('pseudonymises a tenant that asks, sends one without settings as committed, reads each once per TTL', async () => {
    // Prepare
    const key = newPseudonymKey();
    const { store, reads } = fakeStore({ a: { pseudonymiseMemberIds: true } }, { a: key });
    const shape = tenantMinimisation(store, 60_000, clock);

    // Act
    const [a, b] = [await shape(event('a')), await shape(event('b'))];
    await shape(event('a'));

    // Assess
    expect(a).toEqual({ ...event('a'), memberId: memberPseudonym(key, 'm_1') });
    expect(b).toEqual(event('b'));
    expect(reads).toEqual(['a', 'b']);
  });

  it('refuses to send a tenant’s events when its pseudonym key is missing, rather than leak member ids', async () => {
    const { store } = fakeStore({ a: { pseudonymiseMemberIds: true } }, {});
    await expect(tenantMinimisation(store, 0, clock)(event('a'))).rejects.toThrow(/no pseudonym key/);
  });
});
