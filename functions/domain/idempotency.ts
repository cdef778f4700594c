import { Problem } from '../shared/problem';
import type { IdempotencyRecord } from './ports';

/** The Idempotency-Key of a request and the hash of the request it is bound to. */
export interface IdempotencyContext {
  key: string;
  requestHash: string;
  /** The request's correlation id, stamped on the events it commits (not part of the hash: a retry may differ). */
  correlationId?: string;
}

/**
 * What a request was answered, as the API renders it (status and body). The first reply for a key
 * is kept with its change, so a retry gets the same one back, marked `replayed`.
 */
export interface Reply {
  statusCode: number;
  body: unknown;
  /** True when the reply is a replay of an earlier request with the same Idempotency-Key. */
  replayed?: boolean;
}

/**
 * What an idempotency record keeps of a reply's body. Member replies hold personal data, so their
 * record keeps only the member id and a replay renders the member as it is now (an erased member
 * stays erased).
 */
export type RecordedBody = { body: unknown } | { member: string };

/** The idempotency record of a reply; what it keeps defaults to the whole body. */
export function idempotencyRecord(
  tenantId: string,
  idem: IdempotencyContext,
  reply: Reply,
  createdAt: string,
  recorded: RecordedBody = { body: reply.body },
): IdempotencyRecord {
  const { key, requestHash } = idem;
  return { tenantId, key, requestHash, statusCode: reply.statusCode, body: JSON.stringify(recorded), createdAt };
}

/** The record a retry replays: it must exist (else the first request is still running) and match the request. */
export function matchingRecord(idem: IdempotencyContext, record: IdempotencyRecord | null): IdempotencyRecord {
  if (!record) throw new Problem('idempotency_request_in_progress');
  if (record.requestHash !== idem.requestHash) {
    throw new Problem('idempotency_key_reused', `Idempotency-Key ${idem.key} was first used with a different request`);
  }
  return record;
}
