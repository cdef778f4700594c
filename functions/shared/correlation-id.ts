/** The header a correlation id travels in: callers may send it; the API's answers and webhook POSTs carry it. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';

/**
 * What a caller's correlation id may be: 1 to 128 letters, digits and `-_.:`. This covers UUIDs,
 * ULIDs and W3C trace ids, and keeps log lines, headers and lake records free of injected text.
 */
export const CORRELATION_ID_PATTERN = '^[A-Za-z0-9._:-]{1,128}$';
const WELL_FORMED_CORRELATION_ID = new RegExp(CORRELATION_ID_PATTERN);

export const isWellFormedCorrelationId = (value: string): boolean => WELL_FORMED_CORRELATION_ID.test(value);

/**
 * The correlation id of a piece of work: the caller's, when it is well-formed (an ill-formed one is
 * ignored, not refused: tracing must never fail a request), else the id of whatever started it.
 * @example correlationIdFor('order-42', requestId) // 'order-42'
 * @example correlationIdFor('bad id\n', requestId) // requestId
 */
export function correlationIdFor(offered: string | undefined, startedBy: string): string {
  return offered !== undefined && isWellFormedCorrelationId(offered) ? offered : startedBy;
}
