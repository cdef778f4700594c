import {
  EventFeed,
  FEED_SETTLE_MS,
  decodeFeedCursor,
  encodeFeedCursor,
  feedIndexKeys,
  mergeShardPages,
  typeMatcher,
  type FeedEvent,
  type FeedIndex,
  type ShardPage,
} from '../../functions/domain/feed';
import { FEED_SHARDS } from '../../functions/domain/keys';
import { outboxItem } from '../../functions/domain/outbox';
import { Problem } from '../../functions/shared/problem';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const event = (second: number, id: string, type = 'points.earned'): FeedEvent => ({ id, type, occurredAt: at(second) });
const entry = (e: FeedEvent) => ({ position: `${e.occurredAt}#${e.id}`, event: e });
const END = '9999';

describe('feed index keys', () => {
  it('shard by member, sort by commit time then event id, and leave audit events out', () => {
    // Act
    const earned = outboxItem(
      { pk: 'p', sk: 's' },
      { id: 'evt_1', tenantId: 't1', memberId: 'm1', type: 'points.earned', occurredAt: at(1) },
    );
    const audit = outboxItem({ pk: 'p', sk: 's' }, { id: 'aud_1', tenantId: 't1', type: 'audit.x', occurredAt: at(1) });

    // Assess
    const shard = Number(/^TENANT#t1#FEED#(\d+)$/.exec(String(earned.feedPk))?.[1]);
    expect(shard).toBeGreaterThanOrEqual(0);
    expect(shard).toBeLessThan(FEED_SHARDS);
    expect(earned.feedSk).toBe(`${at(1)}#evt_1`);
    expect(feedIndexKeys({ id: 'evt_2', tenantId: 't1', memberId: 'm1', type: 'x', occurredAt: at(2) }).feedPk).toBe(
      earned.feedPk,
    );
    expect(audit).not.toHaveProperty('feedPk');
  });

  it('spread the members of a tenant over all shards', () => {
    // Act
    const shards = new Set(
      Array.from({ length: 400 }, (_, i) =>
        feedIndexKeys({ id: 'e', tenantId: 't', memberId: `m${i}`, occurredAt: at(0) }),
      ).map((keys) => keys.feedPk),
    );

    // Assess
    expect(shards.size).toBe(FEED_SHARDS);
  });
});

describe('feed cursor', () => {
  it('round-trips a watermark and a member seq', () => {
    // Assess
    expect(decodeFeedCursor(encodeFeedCursor({ after: `${at(3)}#evt_9` }))).toEqual({ after: `${at(3)}#evt_9` });
    expect(decodeFeedCursor(encodeFeedCursor({ afterSeq: 12 }))).toEqual({ afterSeq: 12 });
  });

  it.each(['not-base64-json!', Buffer.from('{"after":1}').toString('base64url'), encodeFeedCursor({ afterSeq: -1 })])(
    'refuses %s as cursor_invalid',
    (cursor) => {
      // Assess
      expect(() => decodeFeedCursor(cursor)).toThrow(Problem);
    },
  );
});

describe('type filter', () => {
  it('matches exactly, by prefix wildcard, or everything', () => {
    // Assess
    expect(typeMatcher('points.earned')('points.earned')).toBe(true);
    expect(typeMatcher('points.earned')('points.earned.x')).toBe(false);
    expect(typeMatcher('points.*')('points.redeemed')).toBe(true);
    expect(typeMatcher('points.*')('pointsx.y')).toBe(false);
    expect(typeMatcher('*')('member.enrolled')).toBe(true);
  });
});

describe('shard merge', () => {
  it('interleaves shards in (time, id) order and stops at the limit', () => {
    // Prepare
    const pages: ShardPage[] = [
      { items: [event(1, 'b'), event(3, 'a')].map(entry) },
      { items: [event(1, 'a'), event(2, 'z'), event(4, 'a')].map(entry) },
    ];

    // Act
    const { events, watermark } = mergeShardPages(pages, END, 4);

    // Assess
    expect(events.map((e) => `${e.occurredAt.slice(17, 19)}${e.id}`)).toEqual(['01a', '01b', '02z', '03a']);
    expect(watermark).toBe(`${at(3)}#a`);
  });

  it('never passes a shard that stopped early, so nothing unread slips behind the watermark', () => {
    // Prepare: shard 1 read up to second 2 and has more; shard 2 reached the end.
    const pages: ShardPage[] = [
      { items: [event(1, 'a')].map(entry), readTo: `${at(2)}#x` },
      { items: [event(5, 'b')].map(entry) },
    ];

    // Act
    const { events, watermark } = mergeShardPages(pages, END, 10);

    // Assess
    expect(events.map((e) => e.id)).toEqual(['a']);
    expect(watermark).toBe(`${at(2)}#x`);
  });
});

describe('EventFeed', () => {
  const now = new Date(Date.UTC(2026, 0, 1, 0, 1, 0));
  const clock = { now: () => now };

  it('serves only events older than the settle delay', async () => {
    // Prepare
    const calls: { upTo: string }[] = [];
    const index: FeedIndex = {
      readShards: (_t, query) => {
        calls.push(query);
        return Promise.resolve([]);
      },
      readMember: () => Promise.resolve({ events: [] }),
    };

    // Act
    const page = await new EventFeed(index, clock, () => Promise.resolve()).read('t1', { limit: 10 });

    // Assess
    const settled = new Date(now.getTime() - FEED_SETTLE_MS).toISOString();
    expect(calls[0]?.upTo).toBe(`${settled}#\uffff`);
    expect(decodeFeedCursor(page.nextCursor!)).toEqual({ after: `${settled}#\uffff` });
  });

  it('long-polls until an event arrives, then answers it', async () => {
    // Prepare
    let reads = 0;
    let slept = 0;
    const index: FeedIndex = {
      readShards: () => Promise.resolve(++reads < 3 ? [] : [{ items: [entry(event(1, 'late'))] }]),
      readMember: () => Promise.resolve({ events: [] }),
    };
    const ticking = { now: () => new Date(now.getTime() + slept) };
    const sleep = (ms: number) => {
      slept += ms;
      return Promise.resolve();
    };

    // Act
    const page = await new EventFeed(index, ticking, sleep).read('t1', { limit: 10, wait: 5 });

    // Assess
    expect(page.items.map((e) => e.id)).toEqual(['late']);
    expect(reads).toBe(3);
    expect(slept).toBeGreaterThan(0);
  });

  it('gives up a long poll at its timeout with a cursor to go on from', async () => {
    // Prepare
    let slept = 0;
    const index: FeedIndex = {
      readShards: () => Promise.resolve([]),
      readMember: () => Promise.resolve({ events: [] }),
    };
    const ticking = { now: () => new Date(now.getTime() + slept) };

    // Act
    const page = await new EventFeed(index, ticking, (ms) => {
      slept += ms;
      return Promise.resolve();
    }).read('t1', { limit: 10, wait: 3 });

    // Assess
    expect(page.items).toEqual([]);
    expect(slept).toBe(3000);
    expect(page.nextCursor).toBeDefined();
  });

  it('reads one member by seq after afterSeq, filtered by type', async () => {
    // Prepare
    const stored = [1, 2, 3, 4].map((seq) => ({ ...event(seq, `e${seq}`, seq % 2 ? 'points.earned' : 'x.y'), seq }));
    const index: FeedIndex = {
      readShards: () => Promise.resolve([]),
      readMember: (_t, _m, { afterSeq, limit }) => {
        const rest = stored.filter((e) => e.seq > afterSeq);
        const events = rest.slice(0, limit);
        return Promise.resolve({ events, ...(rest.length > limit ? { lastSeq: events.at(-1)!.seq } : {}) });
      },
    };

    // Act
    const page = await new EventFeed(index, clock, () => Promise.resolve()).read('t1', {
      memberId: 'm1',
      afterSeq: 1,
      type: 'points.*',
      limit: 5,
    });

    // Assess
    expect(page.items.map((e) => e.id)).toEqual(['e3']);
    expect(decodeFeedCursor(page.nextCursor!)).toEqual({ afterSeq: 4 });
  });
});

describe('EventFeed cursor ahead of the settled point', () => {
  it('hands the cursor back unchanged, never an earlier one', async () => {
    // Prepare: a consumer sought to now, read before its position has settled.
    const now = new Date(Date.UTC(2026, 0, 1, 0, 1, 0));
    const ahead = encodeFeedCursor({ after: `${now.toISOString()}#\uffff` });
    const index: FeedIndex = {
      readShards: () => Promise.reject(new Error('nothing to read')),
      readMember: () => Promise.resolve({ events: [] }),
    };

    // Act
    const page = await new EventFeed(index, { now: () => now }, () => Promise.resolve()).read('t1', {
      limit: 10,
      cursor: ahead,
    });

    // Assess
    expect(page).toEqual({ items: [], nextCursor: ahead });
  });
});
