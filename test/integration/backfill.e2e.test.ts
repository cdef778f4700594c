import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { table } from '../../functions/declaration/topology';
import { FEED_SETTLE_MS } from '../../functions/domain/feed';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { lakeRecords } from '../../local/lake-files';
import { runScript } from '../support/run-script';
import { tenantTable } from '../support/tenant-fixtures';
import { twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * A backfill on the twin: events committed and in the lake are re-sent for their time range through the backfill
 * queue and function, in order and at the rate asked; the lake then holds each event twice under the same id (once
 * after deduplication), and the progress counts exactly the events of the range. Operators start one with the admin
 * CLI, and cancelling stops it. The feed target gives events written before the feed index existed their keys.
 */
const twin = useTwin(['--lake-buffer-seconds', '1']);

type LakeRecord = { id: string; tenantId: string; type: string };
type Backfill = {
  backfillId: string;
  status: string;
  eventsSent: number;
  eventsIndexed: number;
  lastPosition?: string;
  errors: string[];
};

const countsById = (records: LakeRecord[]) =>
  records.reduce((counts, r) => counts.set(r.id, (counts.get(r.id) ?? 0) + 1), new Map<string, number>());

describe('backfill', () => {
  it('re-sends a range slice by slice at its rate: each event twice in the lake, once after dedup', async () => {
    // Prepare: a tenant whose members enrol and earn; the range covers all of it.
    const tenantId = `bkf-${randomBytes(4).toString('hex')}`;
    const tenants = tenantTable(twin);
    const apiKey = await tenants.issueKey(tenantId);
    const operatorKey = await tenants.issueOperatorKey();
    tenants.destroy();
    const api = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey } });
    const from = new Date().toISOString();
    for (let m = 0; m < 4; m++) {
      const member = await api<{ memberId: string }>('/v1/members', { body: { externalId: `ext-${m}-${tenantId}` } });
      for (let e = 0; e < 3; e++) {
        const earned = await api(`/v1/members/${member.body.memberId}/points/earn`, {
          body: { amountPoints: 10 + e, reason: 'stay' },
        });
        expect(earned.status).toBe(201);
      }
    }
    const to = new Date().toISOString();
    // The range's events as the feed serves them (audit events are neither in the feed nor backfilled).
    const inRange = await waitFor(
      async () => {
        const page = await api<{ items: { id: string }[] }>(`/v1/events?from=${from}&to=${to}&limit=500`);
        return page.body.items.length >= 16 ? page.body.items.map((e) => e.id) : undefined;
      },
      { timeoutMs: 20_000, what: 'the range in the feed' },
    );
    await waitFor(
      () => {
        const counts = countsById(lakeRecords<LakeRecord>(twin.lakeDir, tenantId));
        return Promise.resolve(inRange.every((id) => counts.get(id) === 1) || undefined);
      },
      { timeoutMs: 30_000, what: 'the committed events in the lake' },
    );

    // Act: a backfill of the range at 1 event a second: slices of 10 events, the next one 10 s after the first.
    const refused = await api('/v1/backfills', {
      body: { from, to: new Date(Date.now() + 60_000).toISOString() },
      idempotent: false,
    });
    const startedMs = Date.now();
    const created = await api<Backfill>('/v1/backfills', {
      body: { from, to, targets: ['lake'], ratePerSecond: 1 },
      idempotent: false,
    });
    const second = await api<{ code: string }>('/v1/backfills', { body: { from, to }, idempotent: false });
    const done = await waitFor(
      async () => {
        const read = await api<Backfill>(`/v1/backfills/${created.body.backfillId}`);
        return ['succeeded', 'failed'].includes(read.body.status) ? read.body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the backfill to finish' },
    );
    const seconds = (Date.now() - startedMs) / 1000;

    // Assess: refused bad input and a second active backfill; progress counts the range exactly.
    expect(refused.status).toBe(400);
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({ status: 'queued', eventsSent: 0, ratePerSecond: 1, targets: ['lake'] });
    expect(second).toMatchObject({ status: 409, body: { code: 'backfill_active' } });
    expect(done).toMatchObject({ status: 'succeeded', eventsSent: inRange.length, errors: [] });
    expect(done.lastPosition! <= to && done.lastPosition! >= from).toBe(true);
    // Each event of the range twice under its id, nothing else copied; once after deduplication.
    const lake = await waitFor(
      () => {
        const counts = countsById(lakeRecords<LakeRecord>(twin.lakeDir, tenantId));
        return Promise.resolve(inRange.every((id) => counts.get(id) === 2) ? counts : undefined);
      },
      { timeoutMs: 30_000, what: 'the backfilled copies in the lake' },
    );
    const copied = [...lake].filter(([, count]) => count === 2).map(([id]) => id);
    expect(copied.sort()).toEqual([...inRange].sort());
    expect([...lake.values()].every((count) => count <= 2)).toBe(true);
    const records = [...lake.values()].reduce((sum, count) => sum + count, 0);
    console.log(
      `backfill: ${inRange.length} events in range, ${done.eventsSent} sent in ${seconds.toFixed(1)} s ` +
        `(${(done.eventsSent / seconds).toFixed(1)} events/s at a rate of 1/s); lake ${records} lines, ` +
        `${lake.size} ids after dedup (${copied.length} of the range, each twice; the rest audit events)`,
    );

    // Operators start one with the CLI; the tenant cancels it, and a finished one cannot be cancelled.
    const cli = await runScript(
      'scripts/admin/main.ts',
      ['--url', twin.apiUrl, 'backfills', 'create', tenantId, '--from', from, '--to', to, '--rate', '1'],
      { LOYALTY_OPERATOR_KEY: operatorKey },
    );
    expect(cli.code).toBe(0);
    const byOperator = JSON.parse(cli.stdout) as Backfill & { requestedBy: { kind: string } };
    expect(byOperator).toMatchObject({ status: 'queued', requestedBy: { kind: 'operator' } });
    const cancelled = await api<Backfill>(`/v1/backfills/${byOperator.backfillId}/cancel`, {
      body: {},
      idempotent: false,
    });
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    const again = await api<{ code: string }>(`/v1/backfills/${done.backfillId}/cancel`, {
      body: {},
      idempotent: false,
    });
    expect(again).toMatchObject({ status: 409, body: { code: 'backfill_finished' } });
    const list = await api<{ items: Backfill[] }>('/v1/backfills');
    expect(list.body.items.map((b) => b.backfillId)).toEqual([byOperator.backfillId, done.backfillId]);
    const audit = await api<{ items: { type: string }[] }>('/v1/audit-events?type=audit.backfill');
    expect(audit.body.items.map((e) => e.type).sort()).toEqual([
      'audit.backfill.cancelled',
      'audit.backfill.requested',
      'audit.backfill.requested',
    ]);
  }, 180_000);

  it('gives events written before the feed index existed their place in the feed', async () => {
    // Prepare: a tenant's members earn; then half of its outbox items lose their index keys, as if written before it.
    const tenantId = `bkf-feed-${randomBytes(4).toString('hex')}`;
    const tenants = tenantTable(twin);
    const api = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: await tenants.issueKey(tenantId) } });
    tenants.destroy();
    const from = new Date().toISOString();
    const memberIds: string[] = [];
    for (let m = 0; m < 3; m++) {
      const member = await api<{ memberId: string }>('/v1/members', { body: { externalId: `ext-${m}-${tenantId}` } });
      memberIds.push(member.body.memberId);
      const earned = await api(`/v1/members/${member.body.memberId}/points/earn`, {
        body: { amountPoints: 5, reason: 'stay' },
      });
      expect(earned.status).toBe(201);
    }
    const to = new Date().toISOString();
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: twin.endpoints.dynamodb, region: REGION, credentials: CREDENTIALS }),
    );
    const stripped: string[] = [];
    for (const memberId of memberIds.slice(0, 2)) {
      const { Items = [] } = await documents.send(
        new QueryCommand({
          TableName: table.localName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
          ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}#MEMBER#${memberId}`, ':events': 'EVENT#' },
        }),
      );
      for (const item of Items) {
        await documents.send(
          new UpdateCommand({
            TableName: table.localName,
            Key: { pk: item.pk, sk: item.sk },
            UpdateExpression: 'REMOVE feedPk, feedSk',
          }),
        );
        stripped.push(String(item.id));
      }
    }
    documents.destroy();
    const feedIds = async () =>
      (await api<{ items: { id: string }[] }>(`/v1/events?from=${from}&to=${to}&limit=500`)).body.items.map(
        (e) => e.id,
      );
    const before = await waitFor(
      async () => {
        // Once every event up to `to` has settled, so the feed's answer no longer grows by itself.
        if (Date.now() < Date.parse(to) + FEED_SETTLE_MS) return undefined;
        const ids = await feedIds();
        return stripped.every((id) => !ids.includes(id)) && ids.length > 0 ? ids : undefined;
      },
      { timeoutMs: 10_000, what: 'the stripped events to leave the feed and the others to settle' },
    );

    // Act
    const created = await api<Backfill>('/v1/backfills', {
      body: { from, to, targets: ['feed'], ratePerSecond: 100 },
      idempotent: false,
    });
    const done = await waitFor(
      async () => {
        const read = await api<Backfill>(`/v1/backfills/${created.body.backfillId}`);
        return ['succeeded', 'failed'].includes(read.body.status) ? read.body : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: 'the feed backfill to finish' },
    );

    // Assess: exactly the stripped events were indexed, and the feed serves them again; nothing went to the lake.
    expect(created.status).toBe(202);
    expect(done).toMatchObject({ status: 'succeeded', eventsIndexed: stripped.length, eventsSent: 0 });
    const after = await waitFor(
      async () => {
        const ids = await feedIds();
        return stripped.every((id) => ids.includes(id)) ? ids : undefined;
      },
      { timeoutMs: 10_000, what: 'the stripped events back in the feed' },
    );
    expect(after.sort()).toEqual([...before, ...stripped].sort());
    console.log(
      `backfill feed: ${stripped.length} events without index keys, ${done.eventsIndexed} indexed; ` +
        `feed ${before.length} → ${after.length}`,
    );
  }, 120_000);
});
