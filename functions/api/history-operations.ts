import * as z from '../shared/zod';
import { HISTORY_KINDS } from '../domain/history';
import { pathParam, type Operation } from './operation-kit';
import { readOperation } from './operation-shapes';
import { historyLineView, pageView } from './ledger-views';
import { listQuery } from './schemas';

/**
 * A member's imported history (historical loads for onboarding, domain/history.ts): the lines of the previous
 * programme with their original time. They are a record beside the ledger, never part of the balance, so they are
 * read here and not among the entries.
 */

const historyLineResponse = z.object({
  memberId: z.string(),
  transactionId: z.string().check(z.describe("The line's id in the previous programme")),
  type: z.enum(HISTORY_KINDS).check(z.describe('What the line was in the previous programme')),
  amountPoints: z
    .number()
    .check(z.int(), z.describe('Signed points as the previous programme booked them; never applied to the balance')),
  occurredAt: z.string().check(z.describe('When it happened in the previous programme (UTC)')),
  recordedAt: z.string().check(z.describe('When the import recorded it')),
  description: z.optional(z.string()),
  source: z.optional(z.string()),
  importId: z.optional(z.string()).check(z.describe('The import job that recorded it')),
});

const historyListQuery = z.strictObject({
  ...listQuery,
  order: z._default(z.enum(['asc', 'desc']), 'desc'),
});

export const historyOperations: Operation[] = [
  readOperation({
    path: '/v1/members/{memberId}/history',
    operationId: 'listImportedHistory',
    summary: "A member's imported history from a previous programme, by original time, newest first by default",
    tag: 'Points',
    scope: 'members:read',
    query: historyListQuery,
    ok: {
      description: 'A page of imported history lines',
      schema: z.object({
        items: z.array(historyLineResponse),
        nextCursor: z.optional(z.string()).check(z.describe('Pass as `cursor` for the next page')),
      }),
    },
    notFound: 'No such member',
    read: async ({ event, tenantId, services }, query) =>
      pageView(await services.ledger.listHistory(tenantId, pathParam(event, 'memberId'), query), historyLineView),
  }),
];
