import {
  AS_COMMITTED,
  keepsEverything,
  memberPseudonym,
  minimisationSettings,
  minimise,
  newPseudonymKey,
  type MinimisationSettings,
} from '../../functions/domain/minimisation';

const earned = {
  id: 'evt_1',
  version: 1,
  tenantId: 't_a',
  memberId: 'm_alice',
  seq: 3,
  occurredAt: '2026-12-01T10:00:00.000Z',
  correlationId: 'req_1',
  type: 'points.earned',
  data: {
    entryId: 'e_1',
    points: 120,
    transactionId: 'tx_9',
    lots: [
      { points: 100, expiresAt: null },
      { points: 20, expiresAt: '2027-12-01T00:00:00.000Z' },
    ],
    balance: { availablePoints: 500, pendingPoints: 0, lifetimePoints: 900, tier: 'gold' },
  },
};

const keyA = newPseudonymKey();
const keyB = newPseudonymKey();
const byKey = (key: string) => (memberId: string) => memberPseudonym(key, memberId);

describe('minimise', () => {
  it('keeps only the allowed data fields of the type, nested paths and through arrays included', () => {
    const settings: MinimisationSettings = {
      fields: { 'points.earned': ['points', 'balance.availablePoints', 'lots.points'] },
      pseudonymiseMemberIds: false,
    };
    expect(minimise(earned, settings, byKey(keyA))).toEqual({
      id: 'evt_1',
      version: 1,
      tenantId: 't_a',
      memberId: 'm_alice',
      seq: 3,
      occurredAt: '2026-12-01T10:00:00.000Z',
      correlationId: 'req_1',
      type: 'points.earned',
      data: { points: 120, balance: { availablePoints: 500 }, lots: [{ points: 100 }, { points: 20 }] },
    });
  });

  it('keeps the data of types the allowlist does not name, and never widens a path into a scalar', () => {
    const settings = { fields: { 'reward.redeemed': ['rewardId'] }, pseudonymiseMemberIds: false };
    expect(minimise(earned, settings, byKey(keyA)).data).toEqual(earned.data);
    const deeper = { fields: { 'points.earned': ['points.value', 'missing'] }, pseudonymiseMemberIds: false };
    expect(minimise(earned, deeper, byKey(keyA)).data).toEqual({});
  });

  it('drops top-level fields that are neither envelope nor data', () => {
    const extra = { ...earned, profile: { email: 'a@example.com' } };
    expect(minimise(extra, AS_COMMITTED, byKey(keyA))).toEqual(earned);
  });

  it('replaces the member id by a stable keyed hash, in the envelope and in an audit subject', () => {
    const settings = { pseudonymiseMemberIds: true };
    const first = minimise(earned, settings, byKey(keyA));
    const again = minimise({ ...earned, id: 'evt_2', seq: 4 }, settings, byKey(keyA));
    expect(first.memberId).toMatch(/^mbr_[a-z2-7]{32}$/);
    expect(again.memberId).toBe(first.memberId);
    expect(minimise({ ...earned, memberId: 'm_bob' }, settings, byKey(keyA)).memberId).not.toBe(first.memberId);
    const audit = {
      id: 'evt_3',
      version: 1,
      tenantId: 't_a',
      occurredAt: '2026-12-01T10:00:00.000Z',
      type: 'audit.points.adjusted',
      actor: { kind: 'tenant', credentialId: 'key_1' },
      data: { subject: { type: 'member', id: 'm_alice' }, entryId: 'e_2' },
    };
    expect(minimise(audit, settings, byKey(keyA))).toEqual({
      ...audit,
      data: { subject: { type: 'member', id: first.memberId }, entryId: 'e_2' },
    });
    const apiKeyAudit = { ...audit, data: { subject: { type: 'api_key', id: 'key_2' } } };
    expect(minimise(apiKeyAudit, settings, byKey(keyA))).toEqual(apiKeyAudit);
  });

  it('gives the same member different pseudonyms under different tenants’ keys', () => {
    expect(memberPseudonym(keyA, 'm_alice')).not.toBe(memberPseudonym(keyB, 'm_alice'));
    expect(memberPseudonym(keyA, 'm_alice')).toBe(memberPseudonym(keyA, 'm_alice'));
  });

  it('computes the documented HMAC-SHA256 pseudonym (first 20 bytes, base32)', () => {
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(memberPseudonym(key, 'm_alice')).toBe('mbr_luxbxrodmpfyylt6dljzqokrwamrrvrk');
  });
});

describe('minimisationSettings', () => {
  it('pseudonymises unless told otherwise and refuses malformed paths', () => {
    expect(minimisationSettings.parse({})).toEqual({ pseudonymiseMemberIds: true });
    expect(minimisationSettings.safeParse({ fields: { 'points.earned': ['a..b'] } }).success).toBe(false);
    expect(minimisationSettings.safeParse({ pseudonymiseMemberIds: true, extra: 1 }).success).toBe(false);
  });

  it('knows when nothing changes', () => {
    expect(keepsEverything(AS_COMMITTED)).toBe(true);
    expect(keepsEverything({ pseudonymiseMemberIds: true })).toBe(false);
    expect(keepsEverything({ fields: { x: ['a'] }, pseudonymiseMemberIds: false })).toBe(false);
  });
});
