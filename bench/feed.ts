import { FEED_MAX_LIMIT, FEED_MAX_WAIT_SECONDS, FEED_SETTLE_MS } from '../functions/domain/feed';
import { percentile, pool, sleep } from './harness';

/**
 * The feed scenario: earns committed as fast as the API takes them (spread over the members), then
 * read back through `GET /v1/events` at the largest page (`limit=500`) with the cursor until the
 * feed is caught up: events/s, pages/s and page latency. Then a tail reader long-polls (`wait`)
 * from that cursor while earns arrive at a steady rate: commit (the API's 2xx) → the event in a
 * page it received. Served only once settled, an event cannot reach a reader in under `FEED_SETTLE_MS`.
 */

export interface FeedSettings {
  events: number;
  tailEvents: number;
  tailRatePerS: number;
  concurrency: number;
  /** How many times the committed events are read from the start. */
  readPasses: number;
}

export interface FeedContext {
  apiUrl: string;
  headers: Record<string, string>;
  members: string[];
  earn: (memberId: string, key: string, amountPoints: number) => Promise<{ status: number; eventId?: string }>;
}

interface FeedPage {
  items: { id: string; occurredAt: string }[];
  nextCursor?: string;
}

/** How long the tail reader keeps waiting for the last paced event once all are committed. */
const TAIL_TIMEOUT_MS = 30_000;

export async function runFeed(context: FeedContext, settings: FeedSettings) {
  const page = async (query: Record<string, string>, signal?: AbortSignal) => {
    const response = await fetch(`${context.apiUrl}/v1/events?${new URLSearchParams(query).toString()}`, {
      headers: context.headers,
      ...(signal ? { signal } : {}),
    });
    if (response.status !== 200) {
      throw new Error(`GET /v1/events answered ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as FeedPage;
  };
  const memberAt = (i: number) => context.members[i % context.members.length]!;

  // Prepare: the events to read, committed as fast as the API takes them.
  const from = new Date(Date.now() - 1).toISOString();
  const commitStart = performance.now();
  const committed = await pool(settings.events, settings.concurrency, (i) => context.earn(memberAt(i), `feed${i}`, 1));
  const commitMs = Math.round(performance.now() - commitStart);
  const committedIds = committed.flatMap((r) => (r.eventId ? [r.eventId] : []));
  await sleep(FEED_SETTLE_MS + 500);

  // Read them all back, one page after the other, until a page comes back empty (caught up); a few times over,
  // for enough pages to give a page latency.
  const pageMs: number[] = [];
  let cursor: string | undefined;
  let readEvents = 0;
  let missing = 0;
  const readStart = performance.now();
  for (let pass = 0; pass < settings.readPasses; pass++) {
    const read = new Set<string>();
    cursor = undefined;
    for (;;) {
      const started = performance.now();
      const answer = await page({ limit: String(FEED_MAX_LIMIT), from, ...(cursor ? { cursor } : {}) });
      pageMs.push(performance.now() - started);
      cursor = answer.nextCursor;
      readEvents += answer.items.length;
      for (const item of answer.items) read.add(item.id);
      if (answer.items.length === 0 || !cursor) break;
    }
    missing += committedIds.filter((id) => !read.has(id)).length;
  }
  const readS = (performance.now() - readStart) / 1000;

  // Tail from there while earns arrive at a steady rate.
  const tailFrom = new Date(Date.now() - 1).toISOString();
  const committedAt = new Map<string, number>();
  const seen = new Map<string, { at: number; occurredAt: number }>();
  const stopTail = new AbortController();
  const tail = (async () => {
    while (!stopTail.signal.aborted && cursor) {
      const query = { limit: String(FEED_MAX_LIMIT), wait: String(FEED_MAX_WAIT_SECONDS), cursor };
      const answer = await page(query);
      const at = Date.now();
      for (const item of answer.items) {
        if (!seen.has(item.id)) seen.set(item.id, { at, occurredAt: Date.parse(item.occurredAt) });
      }
      cursor = answer.nextCursor;
    }
  })();
  await Promise.all(
    Array.from({ length: settings.tailEvents }, async (_, i) => {
      await sleep((i * 1000) / settings.tailRatePerS);
      const result = await context.earn(memberAt(i), `tail${i}`, 1);
      if (result.eventId) committedAt.set(result.eventId, Date.now());
    }),
  );
  const deadline = Date.now() + TAIL_TIMEOUT_MS;
  while ([...committedAt.keys()].some((id) => !seen.has(id)) && Date.now() < deadline) await sleep(50);
  // The long poll in flight ends by itself (at most its wait): the twin's API is not stopped under it.
  stopTail.abort();
  await tail;
  const seenOf = [...committedAt].flatMap(([id, at]) => {
    const found = seen.get(id);
    return found ? [{ ...found, committedAt: at }] : [];
  });
  const tailMs = seenOf.map((s) => s.at - s.committedAt).sort((a, b) => a - b);
  const stampedMs = seenOf.map((s) => s.at - s.occurredAt).sort((a, b) => a - b);
  // Events the tail never saw: in the feed now (its cursor passed them by), or not there at all.
  const unseen = [...committedAt.keys()].filter((id) => !seen.has(id));
  const inFeedNow = new Set<string>();
  let next: string | undefined;
  do {
    const answer = await page({ limit: String(FEED_MAX_LIMIT), from: tailFrom, ...(next ? { cursor: next } : {}) });
    for (const item of answer.items) inFeedNow.add(item.id);
    next = answer.items.length > 0 ? answer.nextCursor : undefined;
  } while (next);
  const passedBy = unseen.filter((id) => inFeedNow.has(id)).length;

  pageMs.sort((a, b) => a - b);
  const figures = {
    feed_read_events_per_s: Math.round(readEvents / readS),
    feed_read_pages_per_s: Number((pageMs.length / readS).toFixed(1)),
    feed_page_ms_p50: Math.round(percentile(pageMs, 50)),
    feed_page_ms_p95: Math.round(percentile(pageMs, 95)),
    feed_read_events: readEvents,
    feed_read_pages: pageMs.length,
    feed_read_missing: missing,
    feed_tail_ms_p50: percentile(tailMs, 50),
    feed_tail_ms_p95: percentile(tailMs, 95),
    feed_tail_stamped_ms_p50: percentile(stampedMs, 50),
    feed_tail_stamped_ms_p95: percentile(stampedMs, 95),
    feed_tail_seen: tailMs.length,
    feed_tail_passed_by: passedBy,
    feed_tail_missing: unseen.length - passedBy,
  };
  const lines = [
    `feed read              ${figures.feed_read_events_per_s} events/s, ${figures.feed_read_pages_per_s} pages/s ` +
      `(GET /v1/events limit=${FEED_MAX_LIMIT} + cursor: ${committedIds.length}/${settings.events} earns ` +
      `committed in ${commitMs} ms over ${context.members.length} members, read ${settings.readPasses}× = ` +
      `${readEvents} events in ${pageMs.length} pages, ${readS.toFixed(1)} s; ${missing} missing from the feed)`,
    `feed page latency      p50 ${figures.feed_page_ms_p50} ms, p95 ${figures.feed_page_ms_p95} ms`,
    `feed tail commit→seen  p50 ${figures.feed_tail_ms_p50} ms, p95 ${figures.feed_tail_ms_p95} ms from the API's ` +
      `2xx; p50 ${figures.feed_tail_stamped_ms_p50} ms, p95 ${figures.feed_tail_stamped_ms_p95} ms from the ` +
      `event's occurredAt (floor: the ${FEED_SETTLE_MS / 1000} s settle delay)`,
    `  long poll wait=${FEED_MAX_WAIT_SECONDS}: ${tailMs.length}/${committedAt.size} earns at ` +
      `${settings.tailRatePerS}/s seen; not seen: ${passedBy} in the feed but behind the tail's cursor, ` +
      `${figures.feed_tail_missing} not in the feed`,
  ];
  return { figures, lines };
}
