/**
 * Tells a dependency's passing failure (a timeout, throttling, a 5xx, a dropped connection) from
 * a bug. The API answers the first with a retryable 503 and the second with a 500. The lists follow
 * the AWS SDK's own retry classification, plus DynamoDB's transaction conflicts; errors are read by
 * shape (name, code, `$retryable`, `$fault`, HTTP status) so that any SDK client's errors qualify.
 */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'LimitExceededException',
  'KMS.ThrottlingException',
]);

/** Names of errors that say "try again": timeouts, a dependency's own fault, write conflicts. */
const TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'KMSInternalException',
  'DependencyTimeoutException',
  // DynamoDB: a write met a transaction in progress on the same item.
  'TransactionConflictException',
  'ReplicatedWriteConflictException',
]);

/** Socket-level failures of the HTTP client (connection refused or reset, DNS briefly failing). */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Cancellation reasons of a DynamoDB transaction that a retry can clear (a condition failure cannot). */
const TRANSIENT_CANCELLATIONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded']);

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  cause?: unknown;
  $retryable?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  CancellationReasons?: { Code?: string }[];
}

/**
 * True when `error` is a dependency's transient failure that the caller may retry later.
 * @example isTransientFailure(new ProvisionedThroughputExceededException({ message: 'm', $metadata: {} })) // true
 */
export function isTransientFailure(error: unknown, depth = 0): boolean {
  if (error === null || typeof error !== 'object' || depth > 5) return false;
  const shape = error as ErrorShape;
  const name = typeof shape.name === 'string' ? shape.name : '';
  if (name === 'AbortError') return false;
  if (name === 'TransactionCanceledException') {
    const codes = (shape.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None').filter((c) => c !== 'None');
    return codes.length > 0 && codes.every((code) => TRANSIENT_CANCELLATIONS.has(code));
  }
  const status = typeof shape.$metadata?.httpStatusCode === 'number' ? shape.$metadata.httpStatusCode : 0;
  return (
    THROTTLING.has(name) ||
    TRANSIENT.has(name) ||
    shape.$retryable !== undefined ||
    shape.$fault === 'server' ||
    status === 429 ||
    status >= 500 ||
    (typeof shape.code === 'string' && NETWORK_CODES.has(shape.code)) ||
    isTransientFailure(shape.cause, depth + 1)
  );
}
