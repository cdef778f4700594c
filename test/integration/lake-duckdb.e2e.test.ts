import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { objectPrefix, partitionValues } from '../../functions/declaration/lake-partitioning';
import { rawEvents } from '../../functions/declaration/topology';
import { loyaltyEvent } from '../../functions/domain/events';
import { LAKE_VIEW_FILES, SQL_TYPES, typedViews } from '../../scripts/lake-views';
import { receivedHooks, twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * The Snowflake kit's proof, with DuckDB standing in for Snowflake: a flow on the twin lands its events in the
 * lake; DuckDB loads the files as the pipe would, through the kit's own views (generated for both dialects from
 * one definition), and every committed event comes out exactly once, in its partition, with the documented types,
 * even when a file is delivered twice. The balance reconciliation finds nothing to report.
 */
const twin = useTwin(['--lake-buffer-seconds', '1']);

const sql = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

/** The lake's gzip NDJSON files (none before the first flush creates the folder). */
const lakeFiles = (dir: string): string[] =>
  existsSync(join(dir, 'events'))
    ? readdirSync(join(dir, 'events'), { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.ndjson.gz'))
        .map((name) => join(dir, 'events', name))
    : [];

const idsInLake = (dir: string): Set<string> =>
  new Set(
    lakeFiles(dir).flatMap((file) =>
      gunzipSync(readFileSync(file))
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { id: string }).id),
    ),
  );

interface Points {
  entry: { entryId: string };
  balance: { availablePoints: number; pendingPoints: number; seq: number };
}

/** Enrol, earn twice, redeem, adjust both ways and refund part of the redemption: every points movement. */
async function memberFlow(api: ReturnType<typeof twinApi>, index: number) {
  const enrolled = await api<{ memberId: string }>('/v1/members', {
    body: { externalId: `lake-${Date.now()}-${index}` },
  });
  expect(enrolled.status).toBe(201);
  const { memberId } = enrolled.body;
  const points = async (path: string, body: Record<string, unknown>) => {
    const answer = await api<Points>(`/v1/members/${memberId}/${path}`, { body });
    expect(answer.status).toBe(201);
    return answer.body;
  };
  await points('points/earn', {
    amountPoints: 500 + index,
    reason: 'stay',
    source: 'pms',
    transactionId: `tx-${index}`,
  });
  await points('points/earn', { amountPoints: 40, reason: 'purchase', source: 'pos' });
  const redeemed = await points('points/redeem', { amountPoints: 120, reason: 'spa voucher' });
  await points('points/adjust', { amountPoints: -15, reason: 'duplicate posting' });
  await points('points/adjust', { amountPoints: 30, reason: 'goodwill' });
  const last = await points(`entries/${redeemed.entry.entryId}/reverse`, { amountPoints: 20, reason: 'part refund' });
  return { memberId, balance: last.balance };
}

describe('the lake in DuckDB, through the Snowflake kit’s views', () => {
  it('holds every committed event once after deduplication, in its partition, with the documented types', async () => {
    // Prepare: three members through every points movement.
    const api = twinApi(twin);
    const members = [];
    for (const index of [1, 2, 3]) members.push(await memberFlow(api, index));
    const memberIds = new Set(members.map((member) => member.memberId));
    const eventCount = members.reduce((sum, member) => sum + member.balance.seq, 0);

    // The committed events: what the webhook receiver got for these members, as many as their seq says.
    const committed = await waitFor(
      async () => {
        const hooks = (await receivedHooks(twin)).filter((hook) => memberIds.has(hook.body?.memberId ?? ''));
        const ids = new Set(hooks.map((hook) => hook.webhookId));
        return ids.size >= eventCount ? ids : undefined;
      },
      { timeoutMs: 30_000, what: `${eventCount} committed events at the webhook receiver` },
    );
    expect(committed.size).toBe(eventCount);
    await waitFor(
      () => {
        const inLake = idsInLake(twin.lakeDir);
        return Promise.resolve([...committed].every((id) => inLake.has(id)) || undefined);
      },
      { timeoutMs: 30_000, what: 'the committed events in the lake files' },
    );

    // Act: deliver one file twice (as a retried delivery or a backfill would), load the lake, apply the views.
    const original = lakeFiles(twin.lakeDir).find((file) =>
      [...memberIds].some((memberId) => gunzipSync(readFileSync(file)).toString('utf8').includes(memberId)),
    );
    copyFileSync(original!, original!.replace(/\.ndjson\.gz$/, '-redelivered.ndjson.gz'));
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const duck = await db.connect();
    // Scalars only: JSON columns come back as their text, BIGINTs as decimal strings.
    const rows = async (query: string) =>
      (await duck.runAndReadAll(query)).getRowObjectsJson() as Record<string, string | number | boolean | null>[];
    await duck.run(`SET VARIABLE lake_files = '${join(twin.lakeDir, 'events', '**', '*.ndjson.gz')}'`);
    await duck.run(sql('snowflake/duckdb/01-raw.sql'));
    await duck.run(sql(LAKE_VIEW_FILES.duckdb));

    // Assess: the copy doubled some raw rows; after deduplication each committed event is there once.
    const memberList = [...memberIds].map((id) => `'${id}'`).join(', ');
    const raw = await rows(
      `SELECT record ->> '$.id' AS id FROM events_raw WHERE record ->> '$.memberId' IN (${memberList})`,
    );
    const deduplicated = await rows(
      `SELECT event_id, event_type, tenant_id, occurred_at, record ->> '$.occurredAt' AS committed_at, file_name, record
       FROM events WHERE member_id IN (${memberList})`,
    );
    const lakeIds = deduplicated.map((row) => String(row.event_id));
    const missing = [...committed].filter((id) => !lakeIds.includes(id));
    const rawTotal = Number((await rows('SELECT count(*) AS n FROM events_raw'))[0]!.n);
    const dedupTotal = Number((await rows('SELECT count(*) AS n FROM events'))[0]!.n);
    console.log(
      `duckdb: committed ${committed.size}, in lake ${new Set(raw.map((row) => row.id)).size}, ` +
        `after dedup ${lakeIds.length}, missing ${missing.length} ` +
        `(raw rows ${raw.length} with a re-delivered file; all tenants ${rawTotal} raw, ${dedupTotal} after dedup)`,
    );
    expect(raw.length).toBeGreaterThan(committed.size);
    expect(rawTotal).toBeGreaterThan(dedupTotal);
    expect(missing).toEqual([]);
    expect(lakeIds.sort()).toEqual([...committed].sort());
    expect(new Set(lakeIds).size).toBe(lakeIds.length);

    // Assess: each event sits under its own tenant, date and hour, and is an event of the catalogue.
    for (const row of deduplicated) {
      const event = JSON.parse(String(row.record)) as Record<string, unknown>;
      const partition = objectPrefix(rawEvents.prefixTemplate, partitionValues(event, rawEvents.partitionKeys) ?? {});
      const at = String(row.committed_at);
      expect(partition).toBe(
        `events/tenant=${String(row.tenant_id)}/date=${at.slice(0, 10)}/hour=${at.slice(11, 13)}/`,
      );
      expect(String(row.file_name)).toContain(`/${partition}`);
      expect(loyaltyEvent.safeParse(event).success).toBe(true);
    }

    // Assess: every typed view has the documented column types, and these members' rows read through them.
    const types = new Set(deduplicated.map((row) => String(row.event_type)));
    for (const view of typedViews().filter((candidate) => types.has(candidate.eventType))) {
      const described = await rows(`DESCRIBE ${view.name}`);
      expect(described.map((column) => [column.column_name, column.column_type])).toEqual(
        view.columns.map((column) => [column.name, SQL_TYPES.duckdb[column.kind]]),
      );
      const typed = await rows(`SELECT * FROM ${view.name} WHERE member_id IN (${memberList})`);
      expect(typed).toHaveLength(deduplicated.filter((row) => row.event_type === view.eventType).length);
      for (const column of view.columns.filter((candidate) => candidate.required)) {
        expect(typed.filter((row) => row[column.name] === null).map(() => `${view.name}.${column.name}`)).toEqual([]);
      }
    }
    expect([...types].sort()).toEqual([
      'member.enrolled',
      'points.adjusted',
      'points.earned',
      'points.redeemed',
      'points.reversed',
    ]);

    // Assess: the points deltas add up to each member's latest snapshot, which is the balance the API answered.
    const mismatches = await rows(sql('snowflake/balance-reconciliation.sql'));
    expect(mismatches.filter((row) => memberIds.has(String(row.member_id)))).toEqual([]);
    const latest = await rows(
      `SELECT member_id, available_points, pending_points FROM member_balance_snapshots
       WHERE member_id IN (${memberList}) QUALIFY ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY seq DESC) = 1`,
    );
    expect(
      latest.map((row) => [row.member_id, Number(row.available_points), Number(row.pending_points)]).sort(),
    ).toEqual(
      members.map((member) => [member.memberId, member.balance.availablePoints, member.balance.pendingPoints]).sort(),
    );
    duck.closeSync();
    db.closeSync();
  }, 120_000);
});
