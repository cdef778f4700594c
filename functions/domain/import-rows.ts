/**
 * Historical loads for onboarding: the seam between an import job (which reads an NDJSON file line by line, at a
 * rate, with checkpoints, progress and an error report) and what one row does to the ledger. The job knows nothing
 * of rows beyond their line; the row applier knows nothing of files, rates or jobs.
 */

/** What applying one row did: recorded ("applied"), already there from an earlier run ("unchanged"), or refused. */
export type ImportRowOutcome =
  | { outcome: 'applied'; memberId: string }
  | { outcome: 'unchanged'; memberId: string }
  | { outcome: 'rejected'; code: string; message: string };

/** Where a row comes from: its job and its 1-based line number in the input file. */
export interface ImportRowSource {
  importId: string;
  line: number;
}

/**
 * Applies one parsed NDJSON row (any JSON value: the applier validates it) for a tenant. A row's own fault (bad
 * shape, unknown member, business rule) is a `rejected` outcome with a stable problem code, written to the error
 * report; a platform failure throws, and the job retries the row. Applying the same row again answers `unchanged`
 * and changes nothing, whichever job applies it.
 */
export type ImportRowApplier = (tenantId: string, row: unknown, source: ImportRowSource) => Promise<ImportRowOutcome>;
