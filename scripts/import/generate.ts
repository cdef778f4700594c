import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * A deterministic import file in the agreed row format (docs/decisions/0016-import-jobs.md): per member its
 * `member` row, then (unless `membersOnly`) its `opening_balance` with lots and a few `transaction` rows of history,
 * so 10,000 members make about 55,000 rows. The same seed gives the same bytes. `bad` puts deliberately bad lines at
 * known places and answers the error report the job must write for them, line for line.
 */

export interface GenerateOptions {
  members: number;
  seed: number;
  /** Member rows only (no `enrolledAt`): what every version of the row applier takes. */
  membersOnly: boolean;
  /**
   * Deliberately bad lines (bad JSON, invalid UTF-8, a line over 64 KiB, history of an unknown member, an unknown
   * tier), one after each `badEvery` members.
   */
  bad: boolean;
  badEvery?: number;
  /** The tenant's programme tier ids an opening balance may name. */
  tiers: readonly string[];
}

export interface ExpectedError {
  line: number;
  code: string;
  message: string;
}

/** A small seeded generator (mulberry32): the same seed, the same file. */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const FIRST = ['Ana', 'João', 'Maria', 'Luís', 'Emma', 'Noah', 'Sofia', 'Lucas', 'Chloé', 'Mateo'];
const LAST = ['Silva', 'Santos', 'Müller', 'Martin', 'García', 'Rossi', 'Dubois', 'Smith', 'Kowalski', 'Costa'];
const LOCALES = ['pt-PT', 'en-GB', 'de-DE', 'fr-FR', 'es-ES'];
const KINDS = ['earn', 'earn', 'earn', 'redeem', 'adjust', 'expire'] as const;
const DAY_MS = 86_400_000;
/** The history's instants are fixed, not "now", so the file is the same on every run. */
const AS_OF = Date.UTC(2026, 10, 30);

const externalIdOf = (index: number) => `crm-${String(index).padStart(7, '0')}`;

/** The rows of one member, as lines, in the order they must apply. */
export function memberRows(index: number, random: () => number, options: GenerateOptions): string[] {
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  const externalId = externalIdOf(index);
  const firstName = pick(FIRST);
  // At least a week before the opening balance, so each history line (a day apart from enrolment) precedes it.
  const enrolledAtMs = AS_OF - (7 + Math.floor(random() * 5 * 365)) * DAY_MS;
  const member = {
    type: 'member',
    externalId,
    email: `${externalId}@example.com`,
    firstName,
    lastName: pick(LAST),
    locale: pick(LOCALES),
    ...(random() < 0.1 ? { segments: ['vip'] } : {}),
    ...(options.membersOnly ? {} : { enrolledAt: new Date(enrolledAtMs).toISOString() }),
  };
  const lines = [JSON.stringify(member)];
  if (options.membersOnly) return lines;
  const lots = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, lot) => ({
    points: 50 + Math.floor(random() * 2_000),
    expiresAt: lot === 0 && random() < 0.3 ? null : new Date(AS_OF + (30 + lot * 90) * DAY_MS).toISOString(),
  }));
  const held = lots.reduce((sum, lot) => sum + lot.points, 0);
  lines.push(
    JSON.stringify({
      type: 'opening_balance',
      externalId,
      asOf: new Date(AS_OF).toISOString(),
      lots,
      lifetimePoints: held + Math.floor(random() * 5_000),
      qualifyingPoints: Math.floor(held / 2),
      ...(options.tiers.length > 0 ? { tier: pick(options.tiers) } : {}),
    }),
  );
  const history = 1 + Math.floor(random() * 6);
  for (let t = 0; t < history; t++) {
    const kind = pick(KINDS);
    lines.push(
      JSON.stringify({
        type: 'transaction',
        externalId,
        transactionId: `old-${index}-${t}`,
        occurredAt: new Date(enrolledAtMs + (t + 1) * DAY_MS).toISOString(),
        kind,
        points: 10 + Math.floor(random() * 500),
        ...(kind === 'adjust' ? { direction: random() < 0.5 ? 'credit' : 'debit' } : {}),
        description: kind === 'earn' ? 'Stay' : kind,
        source: 'legacy-pms',
      }),
    );
  }
  return lines;
}

/**
 * The bad lines `--bad` writes, one after each `BAD_EVERY` good members, cycling through these: three the job itself
 * refuses (the line is no JSON, no UTF-8, or too long) and two the row applier refuses (`externalId` is the member
 * just written).
 */
const BAD_LINES: ((externalId: string) => { bytes: Buffer; code: string; message: string })[] = [
  () => ({
    bytes: Buffer.from('{"type":"member","externalId":"crm-broken"'),
    code: 'invalid_json',
    message: invalidJsonMessage('{"type":"member","externalId":"crm-broken"'),
  }),
  () => ({
    bytes: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    code: 'invalid_json',
    message: 'The line is not valid UTF-8',
  }),
  () => ({
    bytes: Buffer.from(JSON.stringify({ type: 'member', externalId: 'crm-huge', note: 'x'.repeat(70_000) })),
    code: 'line_too_long',
    message: `The line is longer than ${64 * 1024} bytes`,
  }),
  (externalId) => ({
    bytes: Buffer.from(
      JSON.stringify({
        type: 'transaction',
        externalId: `${externalId}-nobody`,
        transactionId: 'old-nobody',
        occurredAt: new Date(AS_OF - DAY_MS).toISOString(),
        kind: 'earn',
        points: 10,
      }),
    ),
    code: 'member_not_found',
    message: `No member with external id ${externalId}-nobody`,
  }),
  (externalId) => ({
    bytes: Buffer.from(
      JSON.stringify({
        type: 'opening_balance',
        externalId,
        asOf: new Date(AS_OF).toISOString(),
        lots: [{ points: 10, expiresAt: null }],
        tier: 'no-such-tier',
      }),
    ),
    code: 'unknown_tier',
    message: 'The programme has no tier no-such-tier',
  }),
];
const BAD_EVERY = 97;

function invalidJsonMessage(text: string): string {
  try {
    JSON.parse(text);
    return '';
  } catch (error) {
    return (error as Error).message.slice(0, 200);
  }
}

/** Writes the file; answers its rows and, with `bad`, the exact error report the job must write. */
export async function generate(
  out: string,
  options: GenerateOptions,
): Promise<{ rows: number; members: number; expected: ExpectedError[] }> {
  const random = seeded(options.seed);
  const stream = createWriteStream(out);
  const expected: ExpectedError[] = [];
  let line = 0;
  const write = async (bytes: Buffer | string) => {
    line += 1;
    const room = stream.write(bytes);
    // Both writes always: a full buffer only asks to wait before the next line.
    if (!stream.write('\n') || !room) await once(stream, 'drain');
  };
  for (let member = 0; member < options.members; member++) {
    for (const row of memberRows(member, random, options)) await write(row);
    const every = options.badEvery ?? BAD_EVERY;
    if (options.bad && member % every === every - 1) {
      const bad = BAD_LINES[expected.length % BAD_LINES.length]?.(externalIdOf(member));
      if (!bad) continue;
      await write(bad.bytes);
      expected.push({ line, code: bad.code, message: bad.message });
    }
  }
  stream.end();
  await once(stream, 'finish');
  return { rows: line, members: options.members, expected };
}
