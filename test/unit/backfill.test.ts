import {
  BACKFILL_HOURS_PER_BUFFER,
  BACKFILL_MAX_DELAY_SECONDS,
  BACKFILL_RECHAIN_AFTER_MS,
  checkRange,
  eventHour,
  messageAction,
  nextDelaySeconds,
  sliceEventBudget,
  takeForSlice,
  type Backfill,
  type BackfillMessage,
} from '../../functions/domain/backfill';
import {
  BACKFILL_SLICE_ATTEMPTS,
  BackfillRunner,
  type BackfillStore,
  type FeedBackfill,
  type SliceProgress,
} from '../../functions/domain/backfill-runner';
import { BackfillService } from '../../functions/domain/backfill-service';
import { startOf, type FeedEvent, type FeedIndex, type ShardPage } from '../../functions/domain/feed';
import { FEED_SHARDS, MEMBER_LIST_SHARDS } from '../../functions/domain/keys';
import { Problem } from '../../functions/shared/problem';

const BASE = Date.UTC(2026, 0, 1);
/** The dev stage's Firehose buffer interval (the twin's too). */
const LAKE_BUFFER_SECONDS = 60;
const iso = (ms: number) => new Date(ms).toISOString();
/** `count` events a `spacingMs` apart from BASE, ids in order. */
const events = (count: number, spacingMs: number): FeedEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    id: `evt_${String(i).padStart(6, '0')}`,
    type: 'points.earned',
    occurredAt: iso(BASE + i * spacingMs),
  }));

/** The feed index over a list of events, spread over the shards by id, honouring `after`, `upTo` and `limit`. */
function memoryIndex(all: FeedEvent[]): FeedIndex {
  const shardOf = (id: string) => Number(id.slice(4)) % FEED_SHARDS;
  return {
    readShards: (_tenantId, query) =>
      Promise.resolve(
        Array.from({ length: FEED_SHARDS }, (_, shard): ShardPage => {
          const inRange = all
            .filter((e) => shardOf(e.id) === shard)
            .map((e) => ({ position: `${e.occurredAt}#${e.id}`, event: e }))
            .filter((item) => item.position > query.after && item.position <= query.upTo);
          const items = inRange.slice(0, query.limit);
          const last = items.at(-1);
          return { items, ...(inRange.length > query.limit && last ? { readTo: last.position } : {}) };
        }),
      ),
    readMember: () => Promise.resolve({ events: [] }),
  };
}

/** Backfill records with the store's conditions: progress only from the record's slice, only while active. */
class MemoryStore implements BackfillStore {
  readonly records = new Map<string, Backfill>();
  create(backfill: Backfill) {
    if ([...this.records.values()].some((b) => b.status === 'queued' || b.status === 'running')) {
      throw new Problem('backfill_active');
    }
    this.records.set(backfill.backfillId, structuredClone(backfill));
    return Promise.resolve();
  }
  get(_tenantId: string, backfillId: string) {
    const record = this.records.get(backfillId);
    return Promise.resolve(record ? structuredClone(record) : null);
  }
  active() {
    const active = [...this.records.values()].find((b) => b.status === 'queued' || b.status === 'running');
    return Promise.resolve(active ? structuredClone(active) : null);
  }
  list() {
    return Promise.resolve({ items: [...this.records.values()] });
  }
  recordSlice(_tenantId: string, backfillId: string, progress: SliceProgress) {
    const record = this.records.get(backfillId);
    if (!record || record.slice !== progress.slice || !['queued', 'running'].includes(record.status)) {
      return Promise.resolve(false);
    }
    Object.assign(record, {
      slice: progress.slice + 1,
      position: progress.position,
      eventsSent: record.eventsSent + progress.eventsAdded,
      status: progress.done ? 'succeeded' : 'running',
      updatedAt: progress.at,
      ...(progress.lastEventAt ? { lastEventAt: progress.lastEventAt } : {}),
    });
    if (progress.feed) {
      record.eventsIndexed += progress.feed.eventsIndexed;
      if (progress.feed.memberCursor) record.memberCursor = progress.feed.memberCursor;
      else delete record.memberCursor;
    }
    return Promise.resolve(true);
  }
  markChained(_tenantId: string, backfillId: string, slice: number) {
    const record = this.records.get(backfillId);
    if (record && record.chainedSlice < slice) record.chainedSlice = slice;
    return Promise.resolve();
  }
  finish(_tenantId: string, backfillId: string, end: { status: 'cancelled' | 'failed'; at: string; error?: string }) {
    const record = this.records.get(backfillId);
    if (!record || !['queued', 'running'].includes(record.status)) return Promise.resolve(null);
    Object.assign(record, { status: end.status, finishedAt: end.at, errors: end.error ? [end.error] : [] });
    return Promise.resolve(structuredClone(record));
  }
}

const noFeed: FeedBackfill = {
  members: () => Promise.reject(new Error('no feed target here')),
  indexMember: () => Promise.reject(new Error('no feed target here')),
};

/** Members spread over the `members` shards, each with events of which those not in `index` lack their keys. */
function memoryMembers(byMember: Map<string, FeedEvent[]>, index: FeedEvent[]): FeedBackfill & { queries: number } {
  const shardOf = (memberId: string) => Number(memberId.slice(1)) % MEMBER_LIST_SHARDS;
  const feed = {
    queries: 0,
    members: (_t: string, shard: number, after: string | undefined, limit: number) => {
      const ids = [...byMember.keys()].filter((id) => shardOf(id) === shard && (after === undefined || id > after));
      const sorted = ids.sort();
      return Promise.resolve({ memberIds: sorted.slice(0, limit), more: sorted.length > limit });
    },
    indexMember: (_t: string, memberId: string, range: { from: string; to: string }) => {
      feed.queries++;
      const missing = (byMember.get(memberId) ?? []).filter(
        (e) => e.occurredAt >= range.from && e.occurredAt <= range.to && !index.includes(e),
      );
      index.push(...missing);
      return Promise.resolve(missing.length);
    },
  };
  return feed;
}

function backfillOf(from: number, to: number, ratePerSecond: number): Backfill {
  return {
    backfillId: 'bkf_1',
    tenantId: 't1',
    from: iso(from),
    to: iso(to),
    targets: ['lake'],
    ratePerSecond,
    status: 'queued',
    eventsSent: 0,
    eventsIndexed: 0,
    slice: 0,
    chainedSlice: 0,
    position: startOf(iso(from)),
    requestedBy: { kind: 'tenant', credentialId: 'key_1' },
    createdAt: iso(BASE),
    updatedAt: iso(BASE),
    errors: [],
  };
}

/** Runs a backfill to its end on a fake clock, delivering each scheduled message (and optionally a copy of it). */
async function runToEnd(
  all: FeedEvent[],
  backfill: Backfill,
  options: { duplicate?: boolean; failSends?: number; feed?: FeedBackfill; index?: FeedEvent[] } = {},
) {
  const store = new MemoryStore();
  await store.create(backfill);
  let nowMs = BASE + 10 * 86_400_000;
  const clock = { now: () => new Date(nowMs) };
  const sent: FeedEvent[][] = [];
  let failures = options.failSends ?? 0;
  const queue: { message: BackfillMessage; delaySeconds: number }[] = [];
  const runner = new BackfillRunner(
    store,
    memoryIndex(options.index ?? all),
    (batch) => {
      if (failures-- > 0) return Promise.reject(new Error('Firehose refused 1 events'));
      sent.push(batch);
      return Promise.resolve();
    },
    { schedule: (message, delaySeconds) => Promise.resolve(void queue.push({ message, delaySeconds })) },
    clock,
    options.feed ?? noFeed,
    LAKE_BUFFER_SECONDS,
  );
  const delays: number[] = [];
  let next: BackfillMessage | undefined = { tenantId: 't1', backfillId: backfill.backfillId, slice: 0 };
  let receives = 1;
  while (next) {
    try {
      await runner.run(next, receives);
      if (options.duplicate) await runner.run(next, 1);
    } catch {
      receives++;
      continue;
    }
    receives = 1;
    const scheduled = queue.shift();
    next = scheduled?.message;
    if (scheduled) {
      delays.push(scheduled.delaySeconds);
      nowMs += scheduled.delaySeconds * 1000;
    }
  }
  return { record: store.records.get(backfill.backfillId)!, sent, delays, queue, store };
}

describe('backfill rules', () => {
  const now = new Date(BASE);

  it('accept a range within retention that ends by now, and normalise it', () => {
    // Act
    const range = checkRange({ from: '2025-12-31T00:00:00+01:00', to: iso(BASE) }, now);

    // Assess
    expect(range).toEqual({ from: '2025-12-30T23:00:00.000Z', to: iso(BASE) });
  });

  it.each([
    ['a future end', { from: iso(BASE - 1000), to: iso(BASE + 1000) }, 'to'],
    ['a backwards range', { from: iso(BASE - 1000), to: iso(BASE - 2000) }, 'from'],
    ['a start beyond retention', { from: iso(BASE - 31 * 86_400_000), to: iso(BASE) }, 'from'],
  ])('refuse %s', (_name, range, path) => {
    // Act
    const refuse = () => checkRange(range, now);

    // Assess
    expect(refuse).toThrow(Problem);
    try {
      refuse();
    } catch (error) {
      expect((error as Problem).extensions.errors).toEqual([expect.objectContaining({ path })]);
    }
  });

  it('size a slice by the rate, within its cap', () => {
    // Assess
    expect(sliceEventBudget(1)).toBe(10);
    expect(sliceEventBudget(100)).toBe(1_000);
    expect(sliceEventBudget(1_000)).toBe(5_000);
  });

  it('stop a slice before it opens more event hours than its share', () => {
    // Prepare
    const hourly = events(BACKFILL_HOURS_PER_BUFFER + 5, 3_600_000);

    // Act
    const taken = takeForSlice(hourly, 1_000, new Set());
    const open = takeForSlice(hourly.slice(3), 1_000, new Set(hourly.slice(0, 10).map((e) => eventHour(e.occurredAt))));

    // Assess
    expect(taken).toHaveLength(BACKFILL_HOURS_PER_BUFFER);
    // Hours 3 to 9 are open already: their events go, hour 10 would be one too many.
    expect(open).toHaveLength(7);
    expect(takeForSlice(hourly, 3, new Set())).toHaveLength(3);
  });

  it('wait out the rate and the partition budget, less the slice’s own time, within SQS’s maximum', () => {
    // Assess
    expect(nextDelaySeconds({ sent: 1_000, hours: 1, elapsedMs: 2_000, ratePerSecond: 100, bufferSeconds: 60 })).toBe(
      8,
    );
    expect(nextDelaySeconds({ sent: 100, hours: 10, elapsedMs: 0, ratePerSecond: 1_000, bufferSeconds: 60 })).toBe(60);
    // A stage with a longer lake buffer (prod's 300 s) waits a whole buffer per ten hours opened.
    expect(nextDelaySeconds({ sent: 100, hours: 10, elapsedMs: 0, ratePerSecond: 1_000, bufferSeconds: 300 })).toBe(
      300,
    );
    expect(nextDelaySeconds({ sent: 100, hours: 1, elapsedMs: 30_000, ratePerSecond: 100, bufferSeconds: 60 })).toBe(0);
    expect(nextDelaySeconds({ sent: 0, hours: 0, elapsedMs: 10, ratePerSecond: 100, bufferSeconds: 60 })).toBe(1);
    expect(nextDelaySeconds({ sent: 5_000, hours: 1, elapsedMs: 0, ratePerSecond: 1, bufferSeconds: 60 })).toBe(
      BACKFILL_MAX_DELAY_SECONDS,
    );
  });

  it('run only the record’s slice; resend a follow-up only when the chain evidently broke', () => {
    // Prepare
    const record = { ...backfillOf(BASE, BASE, 10), status: 'running' as const, slice: 3, chainedSlice: 2 };
    const message = (slice: number) => ({ tenantId: 't1', backfillId: 'bkf_1', slice });
    const updated = Date.parse(record.updatedAt);

    // Assess
    expect(messageAction(record, message(3), updated)).toBe('run');
    expect(messageAction(record, message(2), updated + 1_000)).toBe('drop');
    expect(messageAction(record, message(2), updated + BACKFILL_RECHAIN_AFTER_MS)).toBe('rechain');
    expect(messageAction({ ...record, chainedSlice: 3 }, message(2), updated + BACKFILL_RECHAIN_AFTER_MS)).toBe('drop');
    expect(messageAction(record, message(1), updated + BACKFILL_RECHAIN_AFTER_MS)).toBe('drop');
    expect(messageAction({ ...record, status: 'cancelled' }, message(3), updated)).toBe('drop');
    expect(messageAction(null, message(0), updated)).toBe('drop');
  });
});

describe('backfill runner', () => {
  it('sends every event of the range once, in event-time order, counting each once', async () => {
    // Prepare: 2,500 events a second apart, a range that leaves the first and last 100 out.
    const all = events(2_500, 1_000);
    const backfill = backfillOf(BASE + 100_000, BASE + 2_399_000, 100);

    // Act
    const { record, sent, delays } = await runToEnd(all, backfill);

    // Assess
    const ids = sent.flat().map((e) => e.id);
    expect(ids).toEqual(all.slice(100, 2_400).map((e) => e.id));
    expect(record).toMatchObject({ status: 'succeeded', eventsSent: 2_300, lastEventAt: iso(BASE + 2_399_000) });
    // 1,000 events a slice at 100/s: about 10 s between slices.
    expect(delays.slice(0, 2)).toEqual([10, 10]);
    console.log(`backfill unit: ${ids.length} events in ${sent.length} sends over ${delays.length + 1} slices`);
  });

  it('never counts a redelivered slice twice', async () => {
    // Prepare
    const all = events(1_200, 1_000);

    // Act
    const { record, sent } = await runToEnd(all, backfillOf(BASE, BASE + 1_199_000, 50), { duplicate: true });

    // Assess
    expect(record.eventsSent).toBe(1_200);
    expect(new Set(sent.flat().map((e) => e.id)).size).toBe(1_200);
  });

  it('keeps sparse events from opening more than its share of lake partitions per buffer interval', async () => {
    // Prepare: one event an hour for two days.
    const all = events(48, 3_600_000);

    // Act
    const { record, delays } = await runToEnd(all, backfillOf(BASE, BASE + 47 * 3_600_000, 1_000));

    // Assess
    expect(record.eventsSent).toBe(48);
    expect(delays.every((delay) => delay >= 60)).toBe(true);
    expect(delays).toHaveLength(Math.ceil(48 / BACKFILL_HOURS_PER_BUFFER) - 1);
  });

  it('retries a failing slice, then marks the backfill failed and stops', async () => {
    // Act
    const { record, queue } = await runToEnd(events(10, 1_000), backfillOf(BASE, BASE + 9_000, 100), {
      failSends: BACKFILL_SLICE_ATTEMPTS,
    });

    // Assess
    expect(record).toMatchObject({ status: 'failed', eventsSent: 0, errors: ['Firehose refused 1 events'] });
    expect(queue).toHaveLength(0);
  });

  it('gives old events their feed index keys member by member, then sends the range to the lake', async () => {
    // Prepare: 250 members with 2 events each, of which only the later half were indexed when written.
    const all = events(500, 1_000);
    const byMember = new Map<string, FeedEvent[]>();
    all.forEach((e, i) => {
      const memberId = `m${String(i % 250).padStart(4, '0')}`;
      byMember.set(memberId, [...(byMember.get(memberId) ?? []), e]);
    });
    const index = all.slice(250);
    const feed = memoryMembers(byMember, index);
    const backfill = { ...backfillOf(BASE, BASE + 499_000, 100), targets: ['feed', 'lake'] as ('feed' | 'lake')[] };

    // Act
    const { record, sent } = await runToEnd(all, { ...backfill, memberCursor: { shard: 0 } }, { feed, index });

    // Assess: every member looked at once, the 250 old events indexed, then all 500 sent in order.
    expect(feed.queries).toBe(250);
    expect(record).toMatchObject({ status: 'succeeded', eventsIndexed: 250, eventsSent: 500 });
    expect(record.memberCursor).toBeUndefined();
    expect(sent.flat().map((e) => e.id)).toEqual(all.map((e) => e.id));
  });

  it('stops the chain once the backfill is cancelled', async () => {
    // Prepare
    const store = new MemoryStore();
    await store.create(backfillOf(BASE, BASE + 100_000, 1));
    const scheduled: BackfillMessage[] = [];
    const runner = new BackfillRunner(
      store,
      memoryIndex(events(100, 1_000)),
      () => Promise.resolve(),
      { schedule: (message) => Promise.resolve(void scheduled.push(message)) },
      { now: () => new Date(BASE + 86_400_000) },
      noFeed,
      LAKE_BUFFER_SECONDS,
    );
    await runner.run({ tenantId: 't1', backfillId: 'bkf_1', slice: 0 }, 1);

    // Act
    await store.finish('t1', 'bkf_1', { status: 'cancelled', at: iso(BASE) });
    await runner.run(scheduled[0]!, 1);

    // Assess
    expect(scheduled).toHaveLength(1);
    expect(store.records.get('bkf_1')).toMatchObject({ status: 'cancelled', eventsSent: 10, slice: 1 });
  });
});

describe('backfill requests', () => {
  it('answer the active backfill to the same request again, and refuse another while it is active', async () => {
    // Prepare
    const store = new MemoryStore();
    const scheduled: BackfillMessage[] = [];
    const service = new BackfillService(
      store,
      { schedule: (message) => Promise.resolve(void scheduled.push(message)) },
      { now: () => new Date(BASE) },
    );
    const principal = { kind: 'tenant' as const, tenantId: 't1', credentialId: 'key_1', scopes: [] };
    const request = { from: iso(BASE - 60_000), to: iso(BASE), targets: ['lake' as const], ratePerSecond: 10 };

    // Act
    const first = await service.request('t1', principal, request);
    const again = await service.request('t1', principal, request);
    const other = service.request('t1', principal, { ...request, ratePerSecond: 20 });

    // Assess
    expect(first.created).toBe(true);
    expect(again).toEqual({ backfill: first.backfill, created: false });
    await expect(other).rejects.toMatchObject({ code: 'backfill_active' });
    expect(scheduled).toEqual([{ tenantId: 't1', backfillId: first.backfill.backfillId, slice: 0 }]);
  });
});
