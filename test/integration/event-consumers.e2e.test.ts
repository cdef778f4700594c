import { randomBytes } from 'node:crypto';
import { memberPseudonym } from '../../functions/domain/minimisation';
import { lakeRecords } from '../../local/lake-files';
import { tenantTable } from '../support/tenant-fixtures';
import { twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * Named feed consumers on the twin: a consumer reads only its types, with only its allowed fields and the lake's
 * pseudonyms; reading does not move it, a commit does (only forward), the next read resumes after the commit, a
 * seek to the start replays, the tenant's cap holds, and another tenant cannot reach it.
 */
const twin = useTwin(['--lake-buffer-seconds', '1']);

interface Item {
  id: string;
  type: string;
  memberId?: string;
  data?: Record<string, unknown>;
}
interface Read {
  items: Item[];
  nextCursor: string;
  lag: { seconds: number; oldestUnreadAt?: string };
}
interface Consumer {
  consumerId: string;
  cursor?: string;
  lag: { seconds: number; positionAt: string };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 2_500));

describe('named feed consumers', () => {
  it('filter, minimise and pseudonymise, resume after a commit, replay after a seek, and stay capped', async () => {
    // Prepare: two tenants; A pseudonymises its lake too, so the consumer's pseudonyms can be compared with it.
    const suffix = randomBytes(4).toString('hex');
    const [tenantA, tenantB] = [`ecn-a-${suffix}`, `ecn-b-${suffix}`];
    const tenants = tenantTable(twin);
    const [keyA, keyB] = [await tenants.issueKey(tenantA), await tenants.issueKey(tenantB)];
    tenants.destroy();
    const apiA = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: keyA } });
    const apiB = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: keyB } });
    const lake = await apiA('/v1/lake/settings', {
      method: 'PUT',
      body: { pseudonymiseMemberIds: true },
      idempotent: false,
    });
    expect(lake.status).toBe(200);
    const refused = await apiA('/v1/event-consumers', {
      body: { name: 'typo', types: ['points.earnd'] },
      idempotent: false,
    });
    expect(refused.status).toBe(400);
    const created = await apiA<Consumer>('/v1/event-consumers', {
      body: {
        name: 'warehouse',
        types: ['points.earned', 'reward.*'],
        fields: { 'points.earned': ['amountPoints'] },
        pseudonymiseMemberIds: true,
      },
      idempotent: false,
    });
    expect(created.status).toBe(201);
    const { consumerId } = created.body;
    const path = `/v1/event-consumers/${consumerId}`;

    // Act: a member enrols and earns twice; the consumer reads twice without committing.
    const enrol = async (i: number) =>
      (await apiA<{ memberId: string }>('/v1/members', { body: { externalId: `x-${suffix}-${i}` } })).body.memberId;
    const earn = async (memberId: string) => {
      const earned = await apiA(`/v1/members/${memberId}/points/earn`, { body: { amountPoints: 10, reason: 'stay' } });
      expect(earned.status).toBe(201);
    };
    const members = [await enrol(0)];
    await earn(members[0]!);
    await earn(members[0]!);
    await settle();
    const first = await apiA<Read>(`${path}/events?limit=100`);
    const unmoved = await apiA<Read>(`${path}/events?limit=100`);

    // Assess: only points.earned (no enrolments), only amountPoints, pseudonyms of the tenant's lake key.
    expect(first.status).toBe(200);
    const revealed = await apiA<{ key: string }>('/v1/lake/pseudonym-key/reveal', { body: {}, idempotent: false });
    const pseudonym = (memberId: string) => memberPseudonym(revealed.body.key, memberId);
    expect(first.body.items.map((item) => [item.type, item.memberId, item.data])).toEqual([
      ['points.earned', pseudonym(members[0]!), { amountPoints: 10 }],
      ['points.earned', pseudonym(members[0]!), { amountPoints: 10 }],
    ]);
    expect(JSON.stringify(first.body)).not.toContain(members[0]);
    expect(unmoved.body.items.map((item) => item.id)).toEqual(first.body.items.map((item) => item.id));
    expect(first.body.lag.oldestUnreadAt).toBeDefined();

    // Act: commit the first read; another member enrols and earns; read on, commit, then commit the older cursor.
    const committed = await apiA<Consumer>(`${path}/commit`, {
      body: { cursor: first.body.nextCursor },
      idempotent: false,
    });
    members.push(await enrol(1));
    await earn(members[1]!);
    await settle();
    const rest = await apiA<Read>(`${path}/events?limit=100`);
    const secondCommit = await apiA<Consumer>(`${path}/commit`, {
      body: { cursor: rest.body.nextCursor },
      idempotent: false,
    });
    const behind = await apiA<{ code: string }>(`${path}/commit`, {
      body: { cursor: first.body.nextCursor },
      idempotent: false,
    });
    const afterCommit = await apiA<Read>(`${path}/events?limit=100`);

    // Assess: resumed after the commit, no repeats; a commit never goes back.
    expect(committed.status).toBe(200);
    expect(rest.body.items.map((item) => item.memberId)).toEqual([pseudonym(members[1]!)]);
    const readOnce = [...first.body.items, ...rest.body.items].map((item) => item.id);
    expect(new Set(readOnce).size).toBe(3);
    expect(secondCommit.body.lag.seconds).toBeLessThan(60);
    expect(behind.status).toBe(409);
    expect(behind.body.code).toBe('event_consumer_commit_behind');
    expect(afterCommit.body.items).toEqual([]);
    console.log(
      `event consumer: ${readOnce.length} events read in 2 reads, lag at start ${first.body.lag.seconds} s, ` +
        `after commit ${secondCommit.body.lag.seconds} s`,
    );

    // Assess: the lake holds the same pseudonyms for the same events.
    const lakeItems = await waitFor(
      () => {
        const found = lakeRecords<Item>(twin.lakeDir).filter((record) => readOnce.includes(record.id));
        return Promise.resolve(found.length >= readOnce.length ? found : undefined);
      },
      { timeoutMs: 30_000, what: 'the consumed events in the lake' },
    );
    const consumed = [...first.body.items, ...rest.body.items];
    for (const record of lakeItems) {
      expect(record.memberId).toBe(consumed.find((item) => item.id === record.id)?.memberId);
    }

    // Act: seek to the start, replay; seek to the end.
    const sought = await apiA<Consumer>(`${path}/seek`, { body: { to: 'start' }, idempotent: false });
    const replay = await apiA<Read>(`${path}/events?limit=100&autoCommit=true`);
    const replayedAgain = await apiA<Read>(`${path}/events?limit=100`);
    const atEnd = await apiA<Consumer>(`${path}/seek`, { body: { to: 'end' }, idempotent: false });

    // Assess
    expect(sought.body.cursor).toBeUndefined();
    expect(replay.body.items.map((item) => item.id)).toEqual(readOnce);
    expect(replayedAgain.body.items).toEqual([]);
    expect(atEnd.body.lag.seconds).toBeLessThan(5);
    console.log(`event consumer: replayed ${replay.body.items.length} events after a seek to the start`);

    // Act + Assess: the cap (5 by default) holds; another tenant can neither see nor move A's consumer.
    const more = [];
    for (let i = 0; i < 5; i++) {
      more.push(await apiA<{ code: string }>('/v1/event-consumers', { body: { name: `c${i}` }, idempotent: false }));
    }
    expect(more.map((answer) => answer.status)).toEqual([201, 201, 201, 201, 409]);
    expect(more[4]!.body.code).toBe('limit_exceeded');
    expect((await apiA<{ items: Consumer[] }>('/v1/event-consumers')).body.items).toHaveLength(5);
    expect((await apiB(`${path}/events`)).status).toBe(404);
    expect((await apiB(`${path}/seek`, { body: { to: 'start' }, idempotent: false })).status).toBe(404);
    expect((await apiB<{ items: Consumer[] }>('/v1/event-consumers')).body.items).toEqual([]);
    const deleted = await apiA(path, { method: 'DELETE', idempotent: false });
    expect(deleted.status).toBe(204);
    expect((await apiA(`${path}/events`)).status).toBe(404);
    const audit = await apiA<{ items: Item[] }>('/v1/audit-events?type=audit.event_consumer');
    expect(new Set(audit.body.items.map((item) => item.type))).toEqual(
      new Set(['audit.event_consumer.created', 'audit.event_consumer.deleted']),
    );
  }, 120_000);
});
