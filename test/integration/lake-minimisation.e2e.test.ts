import { randomBytes } from 'node:crypto';
import { memberPseudonym } from '../../functions/domain/minimisation';
import { lakeRecords } from '../../local/lake-files';
import { tenantTable } from '../support/tenant-fixtures';
import { twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Lake minimisation on the twin: a tenant that sets an allowlist and pseudonymisation gets lake files with only the
 * allowed data fields and stable keyed-hash member ids (which its revealed key recomputes); a tenant that set
 * nothing gets its events as committed.
 */
const twin = useTwin(['--lake-buffer-seconds', '1']);

type LakeRecord = { id: string; type: string; tenantId: string; memberId?: string; data?: Record<string, unknown> };

describe('lake minimisation per tenant', () => {
  it('writes only allowed fields and stable pseudonyms for a tenant that asks, others as committed', async () => {
    // Prepare: two tenants; the first keeps two fields of points.earned and pseudonymises member ids.
    const suffix = randomBytes(4).toString('hex');
    const [tenantA, tenantB] = [`lake-a-${suffix}`, `lake-b-${suffix}`];
    const tenants = tenantTable(twin);
    const [keyA, keyB] = [await tenants.issueKey(tenantA), await tenants.issueKey(tenantB)];
    tenants.destroy();
    const apiA = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: keyA } });
    const apiB = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: keyB } });
    expect((await apiA('/v1/lake/settings')).body).toEqual({ pseudonymiseMemberIds: false, configured: false });
    const refused = await apiA('/v1/lake/settings', {
      method: 'PUT',
      body: { fields: { 'points.earned': ['amountPoints', 'balance.nope'] }, pseudonymiseMemberIds: true },
      idempotent: false,
    });
    expect(refused.status).toBe(400);
    const settings = {
      fields: { 'points.earned': ['amountPoints', 'balance.availablePoints'] },
      pseudonymiseMemberIds: true,
    };
    const put = await apiA('/v1/lake/settings', { method: 'PUT', body: settings, idempotent: false });
    expect(put.status).toBe(200);
    expect((await apiA('/v1/lake/settings')).body).toMatchObject({ ...settings, configured: true });

    // Act: two members of A earn (the first twice), one member of B earns.
    const enrol = async (api: typeof apiA) =>
      (
        await api<{ memberId: string }>('/v1/members', {
          body: { externalId: `ext-${randomBytes(4).toString('hex')}` },
        })
      ).body.memberId;
    const [alice, bob, carol] = [await enrol(apiA), await enrol(apiA), await enrol(apiB)];
    for (const [api, memberId] of [
      [apiA, alice],
      [apiA, alice],
      [apiA, bob],
      [apiB, carol],
    ] as const) {
      const earned = await api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 10, reason: 'stay' } });
      expect(earned.status).toBe(201);
    }
    const revealed = await apiA<{ key: string }>('/v1/lake/pseudonym-key/reveal', { body: {}, idempotent: false });
    expect(revealed.status).toBe(200);

    // Assess: A's files carry the allowed fields only and the pseudonyms its key recomputes.
    const files = await waitFor(
      () => {
        const all = lakeRecords<LakeRecord>(twin.lakeDir);
        const earnedA = all.filter((r) => r.tenantId === tenantA && r.type === 'points.earned');
        const earnedB = all.filter((r) => r.tenantId === tenantB && r.type === 'points.earned');
        return Promise.resolve(earnedA.length >= 3 && earnedB.length >= 1 ? all : undefined);
      },
      { timeoutMs: 30_000, what: 'both tenants’ earnings in the lake' },
    );
    const ofA = files.filter((r) => r.tenantId === tenantA);
    const pseudonym = (memberId: string) => memberPseudonym(revealed.body.key, memberId);
    const earnedA = ofA.filter((r) => r.type === 'points.earned');
    for (const record of earnedA) {
      expect(record.data).toEqual({ amountPoints: 10, balance: { availablePoints: expect.any(Number) as number } });
      expect(record.memberId).toMatch(/^mbr_[a-z2-7]{32}$/);
    }
    expect(earnedA.map((r) => r.memberId).sort()).toEqual([pseudonym(alice), pseudonym(alice), pseudonym(bob)].sort());
    // Types without an allowlist keep their data; their member ids are the same pseudonyms (files join).
    const enrolledA = ofA.filter((r) => r.type === 'member.enrolled');
    expect(enrolledA.map((r) => r.memberId).sort()).toEqual([pseudonym(alice), pseudonym(bob)].sort());
    expect(JSON.stringify(ofA)).not.toContain(alice);
    expect(JSON.stringify(ofA)).not.toContain(bob);
    expect(ofA.map((r) => r.type)).toContain('audit.lake.settings_updated');

    // ... and B's files are as committed: its own member id and every field.
    const earnedB = files.filter((r) => r.tenantId === tenantB && r.type === 'points.earned');
    expect(earnedB).toHaveLength(1);
    expect(earnedB[0]).toMatchObject({ memberId: carol, data: { amountPoints: 10, reason: 'stay', pending: false } });
  }, 120_000);
});
