import { DEFAULT_TENANT_LIMITS } from '../../functions/domain/credentials';
import {
  EventFeed,
  FEED_RETENTION_DAYS,
  decodeFeedCursor,
  encodeFeedCursor,
  type FeedEvent,
  type FeedIndex,
} from '../../functions/domain/feed';
import { FeedConsumers } from '../../functions/domain/feed-consumer-service';
import {
  checkConsumerTypes,
  committedPosition,
  lagSeconds,
  requireConsumerAllowance,
  seekPosition,
  type FeedConsumer,
  type FeedConsumerStore,
} from '../../functions/domain/feed-consumers';
import { memberPseudonym, newPseudonymKey } from '../../functions/domain/minimisation';
import { Problem } from '../../functions/shared/problem';

const NOW = new Date(Date.UTC(2026, 0, 1, 12, 0, 0));
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 11, 0, second)).toISOString();
const cursorAt = (second: number, id = 'evt') => encodeFeedCursor({ after: `${at(second)}#${id}` });

const codeOf = (act: () => unknown): string | undefined => {
  try {
    act();
  } catch (error) {
    return error instanceof Problem ? error.code : 'not a problem';
  }
  return undefined;
};

describe('feed consumer rules', () => {
  it('accepts filters that match feed types and refuses typos and audit types', () => {
    // Assess
    expect(
      codeOf(() => {
        checkConsumerTypes(['points.earned', 'reward.*', '*']);
      }),
    ).toBeUndefined();
    expect(
      codeOf(() => {
        checkConsumerTypes(['points.earnd']);
      }),
    ).toBe('validation_failed');
    expect(
      codeOf(() => {
        checkConsumerTypes(['audit.*']);
      }),
    ).toBe('validation_failed');
  });

  it('caps consumers by the tenant limit', () => {
    // Assess
    const limits = { ...DEFAULT_TENANT_LIMITS, feedConsumers: 2 };
    expect(
      codeOf(() => {
        requireConsumerAllowance(1, limits);
      }),
    ).toBeUndefined();
    expect(
      codeOf(() => {
        requireConsumerAllowance(2, limits);
      }),
    ).toBe('limit_exceeded');
  });

  it('commits only watermark cursors of real instants, not seqs or far-future forgeries', () => {
    // Assess
    expect(committedPosition(cursorAt(5, 'evt_1'), NOW)).toBe(`${at(5)}#evt_1`);
    expect(codeOf(() => committedPosition(encodeFeedCursor({ afterSeq: 3 }), NOW))).toBe('cursor_invalid');
    expect(codeOf(() => committedPosition(encodeFeedCursor({ after: '2026-13-99T00#x' }), NOW))).toBe('cursor_invalid');
    expect(codeOf(() => committedPosition(encodeFeedCursor({ after: '2027-01-01T00:00:00.000Z#x' }), NOW))).toBe(
      'cursor_invalid',
    );
  });

  it('seeks to the start, to now, or to just before an instant, never into the future', () => {
    // Assess
    expect(seekPosition({ to: 'start' }, NOW)).toBeUndefined();
    expect(seekPosition({ to: 'end' }, NOW)).toBe(`${NOW.toISOString()}#\uffff`);
    expect(seekPosition({ at: '2026-01-01T11:00:05Z' }, NOW)).toBe(`${at(5)}#`);
    expect(codeOf(() => seekPosition({ at: '2026-01-02T00:00:00Z' }, NOW))).toBe('validation_failed');
  });

  it('measures lag from the committed position, the whole retention at the start', () => {
    // Assess
    expect(lagSeconds(`${at(30)}#evt`, NOW)).toBe(3570);
    expect(lagSeconds(undefined, NOW)).toBe(FEED_RETENTION_DAYS * 86_400);
  });
});

/** One shard holding `events`, read as the index would (after < position <= upTo, filtered, limited). */
const indexOf = (events: FeedEvent[]): FeedIndex => ({
  readShards: (_tenantId, { after, upTo, limit, matches }) => {
    const inRange = events
      .map((event) => ({ position: `${event.occurredAt}#${event.id}`, event }))
      .filter(({ position }) => position > after && position <= upTo);
    const read = inRange.slice(0, limit);
    const more = inRange.length > limit;
    return Promise.resolve([
      {
        items: read.filter(({ event }) => matches(event.type)),
        ...(more ? { readTo: read.at(-1)!.position } : {}),
      },
    ]);
  },
  readMember: () => Promise.resolve({ events: [] }),
});

/** Consumers in memory, with the forward-only commit the table's condition enforces. */
function memoryStore(): FeedConsumerStore {
  const stored = new Map<string, FeedConsumer>();
  const id = (tenantId: string, consumerId: string) => `${tenantId}/${consumerId}`;
  const change = (tenantId: string, consumerId: string, patch: Partial<FeedConsumer>) => {
    const current = stored.get(id(tenantId, consumerId));
    if (!current) return Promise.resolve(null);
    const next = { ...current, ...patch };
    if ('position' in patch && patch.position === undefined) delete next.position;
    stored.set(id(tenantId, consumerId), next);
    return Promise.resolve(next);
  };
  return {
    list: (tenantId) => Promise.resolve([...stored.values()].filter((c) => c.tenantId === tenantId)),
    get: (tenantId, consumerId) => Promise.resolve(stored.get(id(tenantId, consumerId)) ?? null),
    create: (consumer) => {
      stored.set(id(consumer.tenantId, consumer.consumerId), consumer);
      return Promise.resolve();
    },
    update: ({ tenantId, consumerId, ...patch }) => change(tenantId, consumerId, patch),
    delete: (tenantId, consumerId) => Promise.resolve(stored.delete(id(tenantId, consumerId))),
    commit: async (tenantId, consumerId, position, positionUpdatedAt) => {
      const current = stored.get(id(tenantId, consumerId));
      if (!current) return { outcome: 'missing' };
      if (current.position !== undefined && current.position > position) return { outcome: 'behind' };
      return { outcome: 'committed', consumer: (await change(tenantId, consumerId, { position, positionUpdatedAt }))! };
    },
    seek: (tenantId, consumerId, position, positionUpdatedAt) =>
      change(tenantId, consumerId, { position, positionUpdatedAt }),
  };
}

describe('FeedConsumers', () => {
  const key = newPseudonymKey();
  const events: FeedEvent[] = [
    { id: 'e1', type: 'member.enrolled', occurredAt: at(1), memberId: 'm1', data: { externalId: 'x' } },
    { id: 'e2', type: 'points.earned', occurredAt: at(2), memberId: 'm1', data: { amountPoints: 10, entryId: 'a' } },
    { id: 'e3', type: 'points.earned', occurredAt: at(3), memberId: 'm2', data: { amountPoints: 20, entryId: 'b' } },
    { id: 'e4', type: 'reward.redeemed', occurredAt: at(4), memberId: 'm2', data: { rewardId: 'r' } },
  ];
  const setUp = async () => {
    const service = new FeedConsumers(
      memoryStore(),
      new EventFeed(indexOf(events), { now: () => NOW }, () => Promise.resolve()),
      { pseudonymKey: () => Promise.resolve(key) },
      { now: () => NOW },
    );
    const consumer = await service.create(
      't1',
      {
        name: 'warehouse',
        types: ['points.*', 'reward.redeemed'],
        settings: { fields: { 'points.earned': ['amountPoints'] }, pseudonymiseMemberIds: true },
      },
      DEFAULT_TENANT_LIMITS,
    );
    return { service, consumerId: consumer.consumerId };
  };

  it('reads its types minimised and pseudonymised, without moving its position', async () => {
    // Prepare
    const { service, consumerId } = await setUp();

    // Act
    // Three read, one of them (member.enrolled) filtered out.
    const first = await service.read('t1', consumerId, { limit: 3 });
    const again = await service.read('t1', consumerId, { limit: 3 });

    // Assess
    expect(first.items).toEqual([
      {
        id: 'e2',
        type: 'points.earned',
        occurredAt: at(2),
        memberId: memberPseudonym(key, 'm1'),
        data: { amountPoints: 10 },
      },
      {
        id: 'e3',
        type: 'points.earned',
        occurredAt: at(3),
        memberId: memberPseudonym(key, 'm2'),
        data: { amountPoints: 20 },
      },
    ]);
    expect(again.items).toEqual(first.items);
    expect(first.oldestUnreadAt).toBe(at(2));
    expect(first.lagSeconds).toBe(FEED_RETENTION_DAYS * 86_400);
  });

  it('resumes after a commit, refuses an older commit, accepts the same one again', async () => {
    // Prepare
    const { service, consumerId } = await setUp();
    const first = await service.read('t1', consumerId, { limit: 3 });

    // Act
    const committed = await service.commit('t1', consumerId, first.nextCursor);
    const repeated = await service.commit('t1', consumerId, first.nextCursor);
    const next = await service.read('t1', consumerId, { limit: 10 });
    await service.commit('t1', consumerId, next.nextCursor);
    const behind = service.commit('t1', consumerId, first.nextCursor);

    // Assess
    expect(committed.position).toBe(`${at(3)}#e3`);
    expect(repeated.position).toBe(committed.position);
    expect(next.items.map((event) => event.id)).toEqual(['e4']);
    await expect(behind).rejects.toMatchObject({ code: 'event_consumer_commit_behind' });
    expect((await service.read('t1', consumerId, { limit: 10 })).items).toEqual([]);
  });

  it('replays from the start after a seek, skips everything after a seek to the end', async () => {
    // Prepare
    const { service, consumerId } = await setUp();
    await service.commit('t1', consumerId, (await service.read('t1', consumerId, { limit: 10 })).nextCursor);

    // Act
    await service.seek('t1', consumerId, { to: 'start' });
    const replayed = await service.read('t1', consumerId, { limit: 10 });
    await service.seek('t1', consumerId, { to: 'end' });
    const atEnd = await service.read('t1', consumerId, { limit: 10 });
    await service.seek('t1', consumerId, { at: at(3) });
    const fromInstant = await service.read('t1', consumerId, { limit: 10 });

    // Assess
    expect(replayed.items.map((event) => event.id)).toEqual(['e2', 'e3', 'e4']);
    expect(atEnd.items).toEqual([]);
    expect(atEnd.lagSeconds).toBe(0);
    expect(decodeFeedCursor(atEnd.nextCursor)).toEqual({ after: `${NOW.toISOString()}#\uffff` });
    expect(fromInstant.items.map((event) => event.id)).toEqual(['e3', 'e4']);
  });

  it('commits what it hands out with autoCommit', async () => {
    // Prepare
    const { service, consumerId } = await setUp();

    // Act
    const read = await service.read('t1', consumerId, { limit: 2, autoCommit: true });
    const next = await service.read('t1', consumerId, { limit: 10 });

    // Assess
    expect(read.items.map((event) => event.id)).toEqual(['e2']);
    expect(read.oldestUnreadAt).toBeUndefined();
    expect(read.lagSeconds).toBe(3600 - 2);
    expect(next.items.map((event) => event.id)).toEqual(['e3', 'e4']);
  });

  it('answers event_consumer_not_found for another tenant or a deleted consumer', async () => {
    // Prepare
    const { service, consumerId } = await setUp();

    // Act
    const otherTenant = service.read('t2', consumerId, { limit: 10 });
    await service.delete('t1', consumerId);
    const deleted = service.commit('t1', consumerId, encodeFeedCursor({ after: `${at(1)}#e1` }));

    // Assess
    await expect(otherTenant).rejects.toMatchObject({ code: 'event_consumer_not_found' });
    await expect(deleted).rejects.toMatchObject({ code: 'event_consumer_not_found' });
  });
});
