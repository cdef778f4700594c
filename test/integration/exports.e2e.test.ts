import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { rawEvents } from '../../functions/declaration/topology';
import { memberPseudonym } from '../../functions/domain/minimisation';
import { EXPORT_SETTLE_MS, type ExportRun } from '../../functions/domain/exports';
import { tenantTable } from '../support/tenant-fixtures';
import { twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Scheduled exports on the twin: a tenant with pseudonymised lake settings defines members, balances and
 * ledger-entries exports on the shortest cadence, commits data, lets the window end (the twin's clock) and asks for
 * a run. The files in the lake bucket hold exactly the data, pseudonymised and without profile fields, and asking
 * for the same window again writes nothing.
 */
const twin = useTwin(['--schedule-seconds', '1']);
const CADENCE_MS = 5 * 60_000;

type Row = Record<string, unknown>;

describe('scheduled exports', () => {
  it('exports each dataset once per window: minimised, pseudonymised, counted', async () => {
    // Prepare: a tenant whose lake settings pseudonymise member ids, and three exports every 5 minutes.
    const tenantId = `exp-${randomBytes(4).toString('hex')}`;
    const tenants = tenantTable(twin);
    const apiKey = await tenants.issueKey(tenantId);
    tenants.destroy();
    const api = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey } });
    const write = { idempotent: false } as const;
    expect(
      (await api('/v1/lake/settings', { method: 'PUT', body: { pseudonymiseMemberIds: true }, ...write })).status,
    ).toBe(200);
    const key = (await api<{ key: string }>('/v1/lake/pseudonym-key/reveal', { body: {}, ...write })).body.key;
    const datasets = ['members', 'balances', 'ledger-entries'] as const;
    const exportIds: Record<string, string> = {};
    for (const dataset of datasets) {
      const created = await api<{ exportId: string }>('/v1/exports', {
        body: { dataset, cadence: { everyMinutes: 5 } },
        ...write,
      });
      expect(created.status).toBe(201);
      exportIds[dataset] = created.body.exportId;
    }
    const refused = await api('/v1/exports', { body: { dataset: 'members', cadence: { everyMinutes: 7 } }, ...write });
    expect(refused.status).toBe(400);
    expect((await api<{ items: unknown[] }>('/v1/exports')).body.items).toHaveLength(3);

    // Three members with profile data; two earn.
    const members: string[] = [];
    for (let i = 0; i < 3; i++) {
      const enrolled = await api<{ memberId: string }>('/v1/members', {
        body: {
          externalId: `crm-${tenantId}-${i}`,
          email: `person${i}@example.com`,
          firstName: 'Secret',
          lastName: 'Person',
          phone: '+15550100',
        },
      });
      expect(enrolled.status).toBe(201);
      members.push(enrolled.body.memberId);
    }
    for (const memberId of [members[0], members[0], members[1]]) {
      const earned = await api(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 25, reason: 'stay' } });
      expect(earned.status).toBe(201);
    }
    const entries = await Promise.all(
      members.map(async (m) => (await api<{ items: unknown[] }>(`/v1/members/${m}/entries?limit=100`)).body.items),
    );
    const balances = await Promise.all(
      members.map(async (m) => (await api<{ availablePoints: number }>(`/v1/members/${m}/balance`)).body),
    );

    // Act: the window with the data ends and settles (the functions' clock), then a run is asked for.
    await twin.advanceClock(CADENCE_MS + EXPORT_SETTLE_MS + 1_000);
    const windows: Record<string, string> = {};
    for (const dataset of datasets) {
      const asked = await api<{ windowStart?: string; run?: ExportRun }>(`/v1/exports/${exportIds[dataset]}/run`, {
        body: {},
        ...write,
      });
      expect([200, 202]).toContain(asked.status);
      windows[dataset] = asked.body.windowStart ?? asked.body.run!.windowStart;
    }
    const runOf = async (dataset: string) =>
      (await api<{ items: ExportRun[] }>(`/v1/exports/${exportIds[dataset]}/runs`)).body.items.find(
        (run) => run.windowStart === windows[dataset],
      );
    const runs: Record<string, ExportRun> = {};
    for (const dataset of datasets)
      runs[dataset] = await waitFor(
        async () => {
          const run = await runOf(dataset);
          return run?.status === 'succeeded' ? run : undefined;
        },
        { timeoutMs: 60_000, what: `the ${dataset} run` },
      );

    // Assess: the files hold the data, with pseudonyms and no profile fields.
    const s3 = new S3Client({
      endpoint: twin.endpoints.sqs,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      forcePathStyle: true,
    });
    const rowsOf = async (run: ExportRun): Promise<Row[]> => {
      const rows: Row[] = [];
      for (const file of run.files) {
        const object = await s3.send(new GetObjectCommand({ Bucket: rawEvents.localBucketName, Key: file.key }));
        const text = gunzipSync(await object.Body!.transformToByteArray()).toString('utf8');
        rows.push(
          ...text
            .split('\n')
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Row),
        );
      }
      return rows;
    };
    const pseudonyms = members.map((m) => memberPseudonym(key, m)).sort();
    const memberRows = await rowsOf(runs.members!);
    expect(memberRows.map((r) => r.memberId).sort()).toEqual(pseudonyms);
    const profileFields = ['email', 'firstName', 'lastName', 'phone', 'externalId', 'segments', 'birthDate'];
    for (const row of memberRows) for (const field of profileFields) expect(row).not.toHaveProperty(field);
    expect(JSON.stringify(memberRows)).not.toMatch(/Secret|example\.com|crm-/);
    const balanceRows = await rowsOf(runs.balances!);
    expect(
      balanceRows.map((r) => [r.memberId, r.availablePoints]).sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual(
      members
        .map((m, i) => [memberPseudonym(key, m), balances[i]!.availablePoints])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
    const entryRows = await rowsOf(runs['ledger-entries']!);
    expect(entryRows).toHaveLength(entries.flat().length);
    expect(new Set(entryRows.map((r) => r.memberId))).toEqual(
      new Set(members.filter((_, i) => entries[i]!.length > 0).map((m) => memberPseudonym(key, m))),
    );
    const exported = await rowsOf(runs['ledger-entries']!);
    expect(JSON.stringify([...memberRows, ...balanceRows, ...exported])).not.toMatch(new RegExp(members.join('|')));
    for (const dataset of datasets)
      expect(runs[dataset]!.files[0]!.key).toMatch(
        new RegExp(
          `^exports/tenant=${tenantId}/export=${exportIds[dataset]}/window=\\d{8}T\\d{4}Z/part-00000\\.ndjson\\.gz$`,
        ),
      );

    // Act again: the same window asked for once more.
    const prefix = runs.members!.files[0]!.key.replace(/part-\d+\.ndjson\.gz$/, '');
    const listed = async () =>
      (await s3.send(new ListObjectsV2Command({ Bucket: rawEvents.localBucketName, Prefix: prefix }))).Contents?.map(
        (o) => [o.Key, o.ETag, o.LastModified?.toISOString()],
      );
    const before = await listed();
    const again = await api<{ run: ExportRun }>(`/v1/exports/${exportIds.members}/run`, { body: {}, ...write });

    // Assess: answered with the recorded run; nothing was queued or written.
    expect(again.status).toBe(200);
    expect(again.body.run).toEqual(runs.members);
    expect(await runOf('members')).toEqual(runs.members);
    expect(await listed()).toEqual(before);
    s3.destroy();

    // Changing and deleting an export is audited; its runs go with it.
    const patched = await api(`/v1/exports/${exportIds.members}`, {
      method: 'PATCH',
      body: { cadence: 'hourly' },
      ...write,
    });
    expect(patched.body).toMatchObject({ cadence: 'hourly' });
    expect((await api(`/v1/exports/${exportIds.members}`, { method: 'DELETE', ...write })).status).toBe(204);
    expect((await api(`/v1/exports/${exportIds.members}/runs`)).status).toBe(404);
    const audited = (await api<{ items: { type: string }[] }>('/v1/audit-events?limit=100')).body.items;
    expect(
      audited
        .filter((e) => e.type.startsWith('audit.export.'))
        .map((e) => e.type)
        .sort(),
    ).toEqual([
      'audit.export.created',
      'audit.export.created',
      'audit.export.created',
      'audit.export.deleted',
      'audit.export.updated',
    ]);

    for (const dataset of datasets) {
      const run = runs[dataset]!;
      console.log(
        `export ${dataset}: window ${run.windowStart}, ${run.rows} rows in ${run.files.length} file(s) ` +
          `(${run.files.map((f) => f.bytes).join('+')} bytes gzip), run took ` +
          `${Date.parse(run.finishedAt!) - Date.parse(run.startedAt)} ms`,
      );
    }
  }, 180_000);
});
