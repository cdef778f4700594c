/**
 * One error shape for the whole platform: RFC 9457 problem details with a stable `code`.
 * Domain code throws `Problem`; the HTTP edge renders it as `application/problem+json`.
 */
export const PROBLEM_CODES = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  bad_request: { status: 400, title: 'The request is malformed' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  idempotency_key_required: { status: 400, title: 'An Idempotency-Key header is required' },
  idempotency_key_invalid: { status: 400, title: 'The Idempotency-Key header is not valid' },
  cursor_invalid: { status: 400, title: 'The cursor is not valid' },
  query_invalid: { status: 400, title: 'A query parameter is not valid' },
  unauthorized: { status: 401, title: 'Missing or invalid credentials' },
  forbidden: { status: 403, title: 'The credentials do not allow this operation' },
  not_found: { status: 404, title: 'No such route' },
  member_not_found: { status: 404, title: 'Member not found' },
  entry_not_found: { status: 404, title: 'Ledger entry not found' },
  idempotency_key_reused: { status: 409, title: 'The Idempotency-Key was used with a different request' },
  idempotency_request_in_progress: { status: 409, title: 'A request with this Idempotency-Key is still in progress' },
  concurrent_update: { status: 409, title: 'The member was changed concurrently; retry the request' },
  member_inactive: { status: 409, title: 'The member is not active' },
  member_erased: { status: 410, title: 'The member was erased' },
  programme_conflict: {
    status: 409,
    title: 'The programme was changed by someone else; read it and apply your change again',
  },
  offer_not_found: { status: 404, title: 'Offer not found' },
  offer_not_active: { status: 422, title: 'The offer is not active now' },
  offer_not_for_member: { status: 422, title: 'The offer does not target this member' },
  offer_limit_reached: { status: 422, title: 'The member has used this offer as often as it allows' },
  reward_not_found: { status: 404, title: 'Reward not found' },
  reward_not_active: { status: 422, title: 'The reward is paused' },
  reward_out_of_stock: { status: 422, title: 'The reward is out of stock' },
  redemption_not_found: { status: 404, title: 'Redemption not found' },
  redemption_not_pending: { status: 422, title: 'Only a pending redemption can be fulfilled' },
  redemption_cancelled: { status: 422, title: 'The redemption is cancelled already' },
  campaign_not_found: { status: 404, title: 'Campaign not found' },
  campaign_closed: { status: 422, title: 'The campaign is closed' },
  campaign_budget_exhausted: { status: 422, title: 'The campaign budget cannot fund this' },
  stock_not_applicable: { status: 422, title: 'This reward does not take stock this way' },
  transaction_already_posted: { status: 409, title: 'This transaction id has earned points already' },
  insufficient_points: { status: 422, title: 'Not enough points available' },
  entry_not_reversible: { status: 422, title: 'This kind of entry cannot be reversed' },
  reversal_exceeds_entry: { status: 422, title: 'The reversal exceeds what is left of the entry' },
  unsupported_media_type: { status: 415, title: 'Content-Type must be application/json' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  endpoint_not_found: { status: 404, title: 'Webhook endpoint not found' },
  webhook_url_rejected: { status: 422, title: 'The webhook URL is not allowed' },
  endpoint_disabled: { status: 409, title: 'The webhook endpoint is disabled' },
  message_not_found: { status: 404, title: 'No such message on this endpoint' },
  message_pending: { status: 409, title: 'The message is still being delivered' },
  tenant_not_found: { status: 404, title: 'Tenant not found' },
  api_key_not_found: { status: 404, title: 'API key not found' },
  api_key_revoked: { status: 409, title: 'The API key is revoked' },
  tenant_suspended: { status: 403, title: 'The tenant is suspended; ask the platform team' },
  tenant_exists: { status: 409, title: 'A tenant with this id exists already' },
  tenant_conflict: { status: 409, title: 'The tenant was changed concurrently; retry the request' },
  limit_exceeded: { status: 409, title: "The tenant's limit does not allow this" },
  oauth_client_not_found: { status: 404, title: 'OAuth client not found' },
  oauth_client_revoked: { status: 409, title: 'The OAuth client is revoked' },
  event_consumer_not_found: { status: 404, title: 'Event consumer not found' },
  event_consumer_commit_behind: {
    status: 409,
    title: 'The consumer has committed a later position; a commit never moves it back (seek does)',
  },
  export_not_found: { status: 404, title: 'Export not found' },
  export_conflict: { status: 409, title: 'The export was changed concurrently; retry the request' },
  backfill_not_found: { status: 404, title: 'Backfill not found' },
  backfill_active: { status: 409, title: 'The tenant has a backfill queued or running; wait for it or cancel it' },
  backfill_finished: { status: 409, title: 'The backfill has finished already' },
  maintenance_window_not_found: { status: 404, title: 'Maintenance window not found' },
  maintenance_window_conflict: {
    status: 409,
    title: 'The maintenance window was changed concurrently; retry the request',
  },
  maintenance_window_started: {
    status: 409,
    title: 'The maintenance window has started; it can no longer be cancelled',
  },
  batch_not_found: { status: 404, title: 'Batch not found' },
  // Imports (historical loads): what a row of an import file is refused with, in its error report.
  invalid_row: { status: 400, title: 'The import row does not match its type’s schema' },
  member_exists_different: { status: 409, title: 'The external id is enrolled with different data' },
  opening_balance_exists: { status: 409, title: 'The member has a different opening balance already' },
  unknown_tier: { status: 422, title: 'The programme has no such tier' },
  // Callback destinations (decision 0018).
  callback_config_invalid: { status: 422, title: 'The callback configuration is not valid' },
  callback_template_invalid: { status: 422, title: 'The callback template does not render' },
  callback_token_url_rejected: { status: 422, title: 'The token URL is not allowed' },
  // Inbound queues (docs/decisions/0015-inbound-queues.md).
  inbound_queue_not_found: { status: 404, title: 'The tenant has no inbound queue' },
  inbound_queue_exists: { status: 409, title: 'The tenant has an inbound queue for another account or scopes' },
  // Import jobs (domain/imports.ts).
  import_not_found: { status: 404, title: 'Import not found' },
  import_not_uploaded: { status: 409, title: 'The import has no uploaded file yet' },
  import_state_conflict: { status: 409, title: 'The import is not in a state that allows this' },
  import_too_large: { status: 413, title: 'The uploaded file is larger than an import takes' },
  too_many_requests: { status: 429, title: 'Too many requests; retry after a pause' },
  internal_error: { status: 500, title: 'Internal error' },
  bad_gateway: { status: 502, title: 'The request failed before it completed; retry it with the same Idempotency-Key' },
  service_unavailable: { status: 503, title: 'A dependency is briefly unavailable; retry after a pause' },
  gateway_timeout: { status: 504, title: 'The request timed out; retry it with the same Idempotency-Key' },
} as const;

export type ProblemCode = keyof typeof PROBLEM_CODES;

/**
 * Problems a caller should retry after a pause: answered with a `Retry-After` header (seconds).
 * Two seconds lets the SDK's own retries and a throttled table settle without holding callers long.
 */
export const RETRY_AFTER_SECONDS: Partial<Record<ProblemCode, number>> = {
  too_many_requests: 2,
  service_unavailable: 2,
  // A member's writers spent their commit budget in its queue: by a second later the queue has moved on.
  concurrent_update: 1,
};

/** The headers a problem is answered with besides its content type (`Retry-After` when it asks for a retry). */
export function problemHeaders(code: ProblemCode): Record<string, string> {
  const retryAfter = RETRY_AFTER_SECONDS[code];
  return retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail?: string;
  instance?: string;
  errors?: { path: string; message: string }[];
  [extension: string]: unknown;
}

export class Problem extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly extensions: Record<string, unknown>;

  constructor(code: ProblemCode, detail?: string, extensions: Record<string, unknown> = {}) {
    super(detail ?? PROBLEM_CODES[code].title);
    this.name = 'Problem';
    this.code = code;
    this.status = PROBLEM_CODES[code].status;
    this.extensions = extensions;
  }

  toBody(instance?: string): ProblemBody {
    return {
      type: `https://docs.loyalty-ledger.dev/problems/${this.code.replaceAll('_', '-')}`,
      title: PROBLEM_CODES[this.code].title,
      status: this.status,
      code: this.code,
      detail: this.message,
      ...(instance ? { instance } : {}),
      ...this.extensions,
    };
  }
}

export const isProblem = (error: unknown): error is Problem => error instanceof Problem;
