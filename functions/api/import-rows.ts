import { outcomeOf } from '../domain/batches';
import type { IdempotencyContext, Reply } from '../domain/idempotency';
import {
  historyOf,
  importKeys,
  isFault,
  openingBalanceOf,
  openingBalanceRow,
  parseRow,
  pastInstant,
  rowHash,
  rowType,
  transactionRow,
  type ImportRowApplier,
  type ImportRowOutcome,
  type ImportRowSource,
} from '../domain/import-rows';
import type { ProfileField } from '../domain/ledger';
import { tierById } from '../domain/tiers';
import { isProblem, type Problem } from '../shared/problem';
import * as z from '../shared/zod';
import type { CommandServices, ExternalIdResolver } from './inbound-commands';
import { enrolRequest } from './schemas';
import { refuseSuspendedTenant } from './tenant-status';

/**
 * Applies import rows (historical loads for onboarding; the format is in docs/imports.md):
 * - `member`: enrols the member with the REST enrol body's validation and its original `enrolledAt`, keyed by the
 *   row's content; an external id enrolled with other data is refused `member_exists_different`;
 * - `opening_balance`: the member's balance from the previous programme (one per member; see `opening-balance.ts`),
 *   announced as `member.imported`;
 * - `transaction`: one history line with its original time, which moves no balance (see `history.ts`).
 * A row's fault is a rejection with a stable code (a schema fault `invalid_row`, naming the field); the platform's
 * failure throws, and the job retries the row. Every row applies once: applied again, it answers `unchanged`.
 */
export function importRowApplier(services: CommandServices, resolveExternalId: ExternalIdResolver): ImportRowApplier {
  return async (tenantId, row, source) => {
    const type = rowType(row);
    if (isFault(type)) return rejected('invalid_row', type.message);
    const now = services.clock.now();
    try {
      switch (type) {
        case 'member':
          return await applyMember(services, tenantId, row, now, source);
        case 'opening_balance':
          return await applyOpeningBalance(services, resolveExternalId, tenantId, row, now, source);
        case 'transaction':
          return await applyHistory(services, resolveExternalId, tenantId, row, now, source);
      }
    } catch (error) {
      if (isProblem(error) && !retried(error)) return rejected(error.code, error.message);
      throw error;
    }
  };
}

const rejected = (code: string, message: string): ImportRowOutcome => ({ outcome: 'rejected', code, message });

/** A problem the job must retry the row for (contention, throttling, a platform failure), never report. */
const retried = (problem: Problem) =>
  outcomeOf({ statusCode: problem.status, body: { code: problem.code } }) === 'retry';

/** A reply as a row's outcome; the platform's failure throws. */
function outcomeOfReply(reply: Reply, memberId: string, line: number): ImportRowOutcome {
  const outcome = outcomeOf(reply);
  if (outcome === 'retry') throw new Error(`Import row at line ${line} failed with ${reply.statusCode}`);
  if (outcome === 'failed') {
    const problem = reply.body as { code?: string; detail?: string; title?: string } | null;
    return rejected(problem?.code ?? 'rejected', problem?.detail ?? problem?.title ?? '');
  }
  return { outcome: reply.replayed ? 'unchanged' : 'applied', memberId };
}

const PROFILE_FIELDS: readonly ProfileField[] = [
  'email',
  'firstName',
  'lastName',
  'phone',
  'locale',
  'birthDate',
  'segments',
];

/** The member row: the REST enrol body (same schema) with its `type` and an optional `enrolledAt`. */
const memberRow = z.strictObject({
  ...enrolRequest.shape,
  type: z.literal('member'),
  enrolledAt: z.optional(z.iso.datetime({ offset: true })),
});

async function applyMember(
  services: CommandServices,
  tenantId: string,
  row: unknown,
  now: Date,
  source: ImportRowSource,
): Promise<ImportRowOutcome> {
  const parsed = parseRow(memberRow, row);
  if (isFault(parsed)) return rejected('invalid_row', parsed.message);
  const { type: _type, enrolledAt: stated, ...profile } = parsed;
  const enrolledAt = stated === undefined ? undefined : pastInstant(stated, 'enrolledAt', now);
  if (isFault(enrolledAt)) return rejected('invalid_row', enrolledAt.message);
  await refuseSuspendedTenant(services, tenantId);
  // Keyed by the row as written: the same member written another way finds the member and compares the data.
  const hash = rowHash(tenantId, row);
  const idem: IdempotencyContext = { key: importKeys.member(hash), requestHash: hash };
  const reply = await services.ledger.enrol(tenantId, idem, {
    ...profile,
    ...(enrolledAt !== undefined ? { enrolledAt } : {}),
  });
  const member = reply.body as Record<string, unknown> & { memberId?: string };
  // 200: the external id was enrolled already, by another row or call. The same data is this row, done before.
  if (reply.statusCode === 200) {
    const stated: Record<string, unknown> = { ...profile, enrolledAt };
    const differing = [...PROFILE_FIELDS, 'enrolledAt'].filter(
      (field) => JSON.stringify(stated[field]) !== JSON.stringify(member[field]),
    );
    if (differing.length > 0)
      return rejected(
        'member_exists_different',
        `External id ${profile.externalId} is enrolled with other ${differing.join(', ')}`,
      );
    return { outcome: 'unchanged', memberId: member.memberId ?? '' };
  }
  return outcomeOfReply(reply, member.memberId ?? '', source.line);
}

/**
 * What a row states, as the ledger keeps it (instants in UTC, a lot's absent expiry as null), hashed: the same
 * opening balance or line written another way (`+00:00` for `Z`, keys reordered) is the same row; the job is not.
 */
function statedHash(tenantId: string, type: string, externalId: string, command: { importId?: string }): string {
  const { importId: _job, ...stated } = command;
  return rowHash(tenantId, { type, externalId, ...stated });
}

async function memberOf(
  resolveExternalId: ExternalIdResolver,
  tenantId: string,
  externalId: string,
): Promise<string | ImportRowOutcome> {
  const memberId = await resolveExternalId(tenantId, externalId);
  return memberId ?? rejected('member_not_found', `No member with external id ${externalId}`);
}

async function applyOpeningBalance(
  services: CommandServices,
  resolveExternalId: ExternalIdResolver,
  tenantId: string,
  row: unknown,
  now: Date,
  source: ImportRowSource,
): Promise<ImportRowOutcome> {
  const parsed = parseRow(openingBalanceRow, row);
  if (isFault(parsed)) return rejected('invalid_row', parsed.message);
  const command = openingBalanceOf(parsed, now, source.importId);
  if (isFault(command)) return rejected('invalid_row', command.message);
  await refuseSuspendedTenant(services, tenantId);
  const memberId = await memberOf(resolveExternalId, tenantId, parsed.externalId);
  if (typeof memberId !== 'string') return memberId;
  // Checked before the commit, so the refusal is not remembered: the same row applies once the programme has it.
  if (command.tierId !== undefined && !tierById((await services.ledger.settings(tenantId)).tiers, command.tierId))
    return rejected('unknown_tier', `The programme has no tier ${command.tierId}`);
  const idem: IdempotencyContext = {
    key: importKeys.openingBalance(memberId),
    requestHash: statedHash(tenantId, parsed.type, parsed.externalId, command),
  };
  try {
    return outcomeOfReply(
      await services.ledger.importOpeningBalance(tenantId, memberId, idem, command),
      memberId,
      source.line,
    );
  } catch (error) {
    if (isProblem(error) && error.code === 'idempotency_key_reused')
      return rejected('opening_balance_exists', `Member ${parsed.externalId} has a different opening balance already`);
    throw error;
  }
}

async function applyHistory(
  services: CommandServices,
  resolveExternalId: ExternalIdResolver,
  tenantId: string,
  row: unknown,
  now: Date,
  source: ImportRowSource,
): Promise<ImportRowOutcome> {
  const parsed = parseRow(transactionRow, row);
  if (isFault(parsed)) return rejected('invalid_row', parsed.message);
  const command = historyOf(parsed, now, source.importId);
  if (isFault(command)) return rejected('invalid_row', command.message);
  await refuseSuspendedTenant(services, tenantId);
  const memberId = await memberOf(resolveExternalId, tenantId, parsed.externalId);
  if (typeof memberId !== 'string') return memberId;
  const idem: IdempotencyContext = {
    key: importKeys.history(memberId, parsed.transactionId),
    requestHash: statedHash(tenantId, parsed.type, parsed.externalId, command),
  };
  try {
    return outcomeOfReply(
      await services.ledger.importHistory(tenantId, memberId, idem, command),
      memberId,
      source.line,
    );
  } catch (error) {
    if (isProblem(error) && error.code === 'idempotency_key_reused')
      return rejected(
        'transaction_already_posted',
        `Transaction ${parsed.transactionId} of member ${parsed.externalId} was imported with different data`,
      );
    throw error;
  }
}
