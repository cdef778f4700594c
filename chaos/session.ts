import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrolMembers, pool, raiseDemoTenantLimits, sleep } from '../bench/harness';
import { startTwin, type Twin, type TwinOptions } from '../local/twin';
import type { ReceivedWebhook } from '../local/webhook-receiver';
import type { Delivery } from './tally';

/** What every fault scenario starts from: its own twin, the demo tenant with room to load, members to spread over. */
export interface Session {
  twin: Twin;
  headers: Record<string, string>;
  members: string[];
  /** Every delivery attempt the receiver saw since the session started, in arrival order. */
  deliveries: Delivery[];
  /** POSTs one earn; a network error is answered as status 0. */
  earn: (memberId: string, key: string, amountPoints: number) => Promise<Sent>;
  /** GETs a path of the API as the demo tenant; the caller knows the body's shape. */
  get: (path: string) => Promise<{ status: number; body: unknown }>;
}

export interface Sent {
  status: number;
  eventId?: string;
  memberId: string;
  /** The problem's `code`, when the answer is one. */
  code?: string;
  contentType?: string;
  retryAfter?: string;
}

/** A receiver's record as the tally reads it. */
export function toDelivery(hook: ReceivedWebhook): Delivery {
  const body = hook.body ?? {};
  return {
    endpoint: hook.endpoint,
    webhookId: hook.webhookId,
    ...(typeof body.memberId === 'string' ? { memberId: body.memberId } : {}),
    ...(typeof body.seq === 'number' ? { seq: body.seq } : {}),
    accepted: hook.verified && hook.answered >= 200 && hook.answered < 300,
  };
}

/** The running twins' stops, so an interrupted run (Ctrl-C, SIGTERM) still stops them and their JVMs. */
const running = new Set<() => Promise<void>>();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    console.error(`\nchaos: ${signal}, stopping the twin`);
    void Promise.allSettled([...running].map((stop) => stop())).then(() => process.exit(130));
  });

/** Registers a stop to run on Ctrl-C or SIGTERM; gives the function that unregisters it. */
export function stopOnInterrupt(stop: () => Promise<void>): () => void {
  running.add(stop);
  return () => running.delete(stop);
}

/**
 * Runs `scenario` on a twin of its own (in memory, or on a temporary data dir when `persistent`),
 * and stops the twin, its JVM and its files whatever happens.
 */
export async function withSession<T>(
  options: { members: number; persistent?: boolean; twin?: TwinOptions },
  scenario: (session: Session) => Promise<T>,
): Promise<T> {
  const dataDir = options.persistent ? mkdtempSync(join(tmpdir(), 'loyalty-chaos-')) : undefined;
  const twin = await startTwin({
    ...(dataDir ? { dataDir } : { inMemory: true }),
    apiPort: 0,
    receiverPort: 0,
    statusPort: 0,
    ...options.twin,
  });
  const stop = async () => {
    running.delete(stop);
    await twin.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  running.add(stop);
  try {
    const deliveries: Delivery[] = [];
    twin.receiver.onReceive((hook) => deliveries.push(toDelivery(hook)));
    const headers = { 'x-api-key': twin.demo.apiKey, 'content-type': 'application/json' };
    await raiseDemoTenantLimits(twin, 'chaos');
    const run = Date.now();
    const members = await enrolMembers(twin, options.members, 8, `chaos-${run}`);
    const earn = async (memberId: string, key: string, amountPoints: number): Promise<Sent> => {
      try {
        const response = await fetch(`${twin.apiUrl}/v1/members/${memberId}/points/earn`, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': `chaos-${run}-${key}` },
          body: JSON.stringify({ amountPoints, reason: 'chaos' }),
        });
        return await answered(response, memberId);
      } catch {
        return { status: 0, memberId };
      }
    };
    const get = async (path: string) => {
      const response = await fetch(`${twin.apiUrl}${path}`, { headers });
      return { status: response.status, body: await response.json() };
    };
    return await scenario({ twin, headers, members, deliveries, earn, get });
  } finally {
    await stop();
  }
}

/** Reads an API answer into what the scenarios count. */
export async function answered(response: Response, memberId: string): Promise<Sent> {
  const contentType = response.headers.get('content-type') ?? undefined;
  const retryAfter = response.headers.get('retry-after') ?? undefined;
  const body = (await response.json().catch(() => ({}))) as { eventId?: string; code?: string };
  return {
    status: response.status,
    memberId,
    ...(body.eventId ? { eventId: body.eventId } : {}),
    ...(body.code ? { code: body.code } : {}),
    ...(contentType ? { contentType } : {}),
    ...(retryAfter ? { retryAfter } : {}),
  };
}

/**
 * A progress line while a scenario runs: rewritten in place on a terminal, else printed every 10 s.
 * @example const stop = progress('flaky', () => `sent ${sent}`); …; stop();
 */
export function progress(name: string, line: () => string): () => void {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  const show = () => {
    const text = `${name} ${Math.round((Date.now() - started) / 1000)} s: ${line()}`;
    if (tty) process.stderr.write(`\r\x1b[K${text}`);
    else console.error(text);
  };
  const timer = setInterval(show, tty ? 500 : 10_000);
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write('\r\x1b[K');
  };
}

/** Posts `events` earns of 1 point spread over the members, each member's in order, `concurrency` members at a time. */
export async function postEarns(
  session: Session,
  settings: { events: number; concurrency: number; prefix: string },
  sent: Sent[],
): Promise<void> {
  const { members } = session;
  await pool(members.length, settings.concurrency, async (m) => {
    for (let i = m; i < settings.events; i += members.length)
      sent.push(await session.earn(members[m]!, `${settings.prefix}${i}`, 1));
  });
}

/**
 * Waits until `missing()` is 0, while deliveries keep coming: gives up once `delivered()` has not
 * grown for `stallMs`, or after `capMs` in all. Gives how long it waited.
 */
export async function drain(
  counts: { missing: () => number; delivered: () => number },
  settings: { stallMs: number; capMs: number },
): Promise<number> {
  const start = Date.now();
  let last = counts.delivered();
  let lastGrewAt = start;
  while (counts.missing() > 0 && Date.now() - lastGrewAt < settings.stallMs && Date.now() - start < settings.capMs) {
    await sleep(250);
    const now = counts.delivered();
    if (now > last) [last, lastGrewAt] = [now, Date.now()];
  }
  return Date.now() - start;
}

/** Every entry of the member (of one type, when given), read page by page. */
export async function entriesOf(
  { get }: Pick<Session, 'get'>,
  memberId: string,
  type?: string,
): Promise<{ type: string; amountPoints: number }[]> {
  const items: { type: string; amountPoints: number }[] = [];
  let cursor: string | undefined;
  do {
    const query = `limit=100${type ? `&type=${type}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page = await get(`/v1/members/${memberId}/entries?${query}`);
    if (page.status !== 200) throw new Error(`reading the entries answered ${page.status}`);
    const body = page.body as { items: { type: string; amountPoints: number }[]; nextCursor?: string };
    items.push(...body.items);
    cursor = body.nextCursor;
  } while (cursor);
  return items;
}

/** The sum of every entry of the member. */
export async function sumOfEntries(session: Pick<Session, 'get'>, memberId: string): Promise<number> {
  return (await entriesOf(session, memberId)).reduce((total, entry) => total + entry.amountPoints, 0);
}

/** The member's available points. */
export async function balanceOf({ get }: Pick<Session, 'get'>, memberId: string): Promise<number> {
  const balance = await get(`/v1/members/${memberId}/balance`);
  if (balance.status !== 200) throw new Error(`reading the balance answered ${balance.status}`);
  return (balance.body as { availablePoints: number }).availablePoints;
}

/**
 * Every member's earns sent one after another, all members at once, until `stop()`: each attempt joins `attempts`,
 * each key `keysOf` its member's list. A pause follows a failure, as a client backs off, so a down period is not a
 * busy loop.
 */
export function steadyLoad<A extends { status: number }>(
  members: string[],
  prefix: string,
  send: (memberId: string, key: string) => Promise<A>,
  attempts: A[],
) {
  let posting = true;
  const keysOf = new Map<string, string[]>(members.map((m) => [m, []]));
  const load = Promise.all(
    members.map(async (memberId, m) => {
      for (let i = 0; posting; i++) {
        const key = `${prefix}${m}-${i}`;
        keysOf.get(memberId)!.push(key);
        const attempt = await send(memberId, key);
        attempts.push(attempt);
        if (attempt.status !== 201) await sleep(200);
      }
    }),
  );
  return {
    keysOf,
    stop: async () => {
      posting = false;
      await load;
    },
  };
}
