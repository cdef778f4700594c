import { table } from '../declaration/topology';

/**
 * Item expiry by DynamoDB's TTL: the table deletes an item some time after the instant its TTL
 * attribute holds, in seconds since the epoch. The table declares that attribute as `expiresAt`
 * (`table.timeToLiveAttribute`; renaming it is a deploy change), a name that in the domain means
 * an ISO date (a points lot's expiry). So code never writes the TTL by that name: it computes
 * `ttlEpochSeconds` and writes them with `ttlAttribute`.
 * @example const item = { ...key, kind: 'event', ...ttlAttribute(ttlEpochSeconds(occurredAtMs, 30 * 86_400)) };
 */
export const TTL_ATTRIBUTE = table.timeToLiveAttribute;

/** The epoch second `afterSeconds` after the instant `atMs` (its second rounded down). */
export const ttlEpochSeconds = (atMs: number, afterSeconds = 0): number => Math.floor(atMs / 1000) + afterSeconds;

/** The epoch second `days` after `now`: when an item kept for a retention period of `days` may go. */
export const ttlAfterDays = (now: Date, days: number): number => ttlEpochSeconds(now.getTime(), days * 86_400);

/** In an update or condition expression the TTL attribute is `#ttl`, named by these attribute names. */
export const TTL_NAMES = { '#ttl': TTL_ATTRIBUTE } as const;

/** The TTL attribute of an item that DynamoDB may delete after `epochSeconds`. */
export const ttlAttribute = (epochSeconds: number): Record<typeof TTL_ATTRIBUTE, number> => ({
  [TTL_ATTRIBUTE]: epochSeconds,
});
