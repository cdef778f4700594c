import { randomBytes } from 'node:crypto';
import { tenantTable } from '../support/tenant-fixtures';
import { twinApi } from '../support/twin-api';
import { useTwin } from '../support/twin-process';

/**
 * The event feed on the twin: a tenant pages through its events in one global order with a cursor,
 * each member's events keep their seq order, a type filter narrows the feed, a long poll answers as
 * soon as a new event has settled, and another tenant sees none of it.
 */
const twin = useTwin();

interface FeedItem {
  id: string;
  type: string;
  tenantId: string;
  memberId: string;
  seq: number;
  occurredAt: string;
}
interface FeedPage {
  items: FeedItem[];
  nextCursor?: string;
}

const order = (event: FeedItem) => `${event.occurredAt}#${event.id}`;

describe('the event feed', () => {
  it('pages in global order, keeps member order, filters by type, long-polls, and stays in its tenant', async () => {
    // Prepare: two tenants; the first enrols members that earn.
    const suffix = randomBytes(4).toString('hex');
    const tenants = tenantTable(twin);
    const [keyA, keyB] = [await tenants.issueKey(`feed-a-${suffix}`), await tenants.issueKey(`feed-b-${suffix}`)];
    tenants.destroy();
    const apiA = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: keyA } });
    const apiB = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey: keyB } });
    const members: string[] = [];
    for (let i = 0; i < 4; i++) {
      const enrolled = await apiA<{ memberId: string }>('/v1/members', { body: { externalId: `ext-${suffix}-${i}` } });
      expect(enrolled.status).toBe(201);
      members.push(enrolled.body.memberId);
    }
    for (let round = 0; round < 2; round++) {
      for (const memberId of members) {
        const earned = await apiA(`/v1/members/${memberId}/points/earn`, {
          body: { amountPoints: 10, reason: 'stay' },
        });
        expect(earned.status).toBe(201);
      }
    }
    const committed = members.length * 3;
    // Events are served once settled (2 s old).
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    // Act: page through the feed three at a time.
    const seen: FeedItem[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20 && seen.length < committed; page++) {
      const answer = await apiA<FeedPage>(`/v1/events?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(answer.status).toBe(200);
      seen.push(...answer.body.items);
      cursor = answer.body.nextCursor;
    }

    // Assess: every event once, in global order, and per member by seq.
    const memberEvents = seen.filter((event) => members.includes(event.memberId));
    expect(memberEvents).toHaveLength(committed);
    expect(new Set(seen.map((event) => event.id)).size).toBe(seen.length);
    expect(seen.map(order)).toEqual([...seen.map(order)].sort());
    for (const memberId of members) {
      const seqs = memberEvents.filter((event) => event.memberId === memberId).map((event) => event.seq);
      expect(seqs).toEqual([1, 2, 3]);
    }
    const replay = await apiA<FeedPage>(`/v1/events?memberId=${members[0]}&afterSeq=1`);
    expect(replay.body.items.map((event) => event.seq)).toEqual([2, 3]);

    const earnedOnly = await apiA<FeedPage>('/v1/events?type=points.*&limit=100');
    expect(earnedOnly.body.items).toHaveLength(members.length * 2);
    expect(earnedOnly.body.items.every((event) => event.type === 'points.earned')).toBe(true);
    const enrolledOnly = await apiA<FeedPage>('/v1/events?type=member.enrolled&limit=100');
    expect(enrolledOnly.body.items).toHaveLength(members.length);

    // Act: a long poll from the end of the feed, while one more event commits.
    const polling = (async () => {
      const started = Date.now();
      const answer = await apiA<FeedPage>(`/v1/events?wait=15&cursor=${cursor ?? ''}`);
      return { answer, waitedMs: Date.now() - started };
    })();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const committedAt = Date.now();
    await apiA(`/v1/members/${members[1]}/points/earn`, { body: { amountPoints: 5, reason: 'late' } });
    const { answer: polled, waitedMs } = await polling;
    const afterCommitMs = Date.now() - committedAt;
    console.log(`feed long poll: waited ${waitedMs} ms, ${afterCommitMs} ms after the commit (settle delay 2000 ms)`);

    // Assess: the poll answered the new event, settled, well before its timeout.
    expect(polled.status).toBe(200);
    expect(polled.body.items.map((event) => [event.memberId, event.seq])).toEqual([[members[1], 4]]);
    expect(waitedMs).toBeLessThan(15_000);

    // Assess: the other tenant sees none of it; a bad cursor is the caller's error.
    const other = await apiB<FeedPage>('/v1/events?limit=500');
    expect(other.body.items.filter((event) => event.tenantId !== `feed-b-${suffix}`)).toEqual([]);
    const otherMember = await apiB<FeedPage>(`/v1/events?memberId=${members[0]}`);
    expect(otherMember.body.items).toEqual([]);
    const bad = await apiA('/v1/events?cursor=bm90LWEtY3Vyc29y');
    expect(bad.status).toBe(400);
  });
});
