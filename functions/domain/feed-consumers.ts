import { Problem } from '../shared/problem';
import type { TenantLimits } from './credentials';
import { EVENT_TYPES } from './events';
import {
  FEED_RETENTION_DAYS,
  decodeFeedCursor,
  feedPositionAfter,
  feedPositionBefore,
  feedPositionTime,
  inFeed,
  typeMatcher,
} from './feed';
import type { MinimisationSettings } from './minimisation';

/**
 * Named feed consumers: a tenant's data platform reads the event feed through a consumer that keeps its own type
 * filter, its own minimisation (the lake settings' shape, the lake's pseudonyms) and a committed position on the
 * server. Reading never moves the position; the client commits the cursor of what it has processed, so delivery is
 * at least once and a crash resumes from the last commit. Commits only move forward; a seek moves anywhere.
 */

export interface FeedConsumer {
  tenantId: string;
  consumerId: string;
  name: string;
  /** Event types or `prefix.*` wildcards; an event matching any of them is read. */
  types: string[];
  settings: MinimisationSettings;
  /** The committed feed position (`<commit time>#<event id>`); absent: the start of the feed's retention. */
  position?: string;
  /** When the position last moved (commit or seek). */
  positionUpdatedAt?: string;
  createdAt: string;
  updatedAt: string;
}

/** Where a seek puts a consumer: the start of retention, now (skipping everything so far), or an instant. */
export type SeekTarget = { to: 'start' | 'end' } | { at: string };

/** A cursor may be stamped this far ahead of the clock that checks it (the API's containers' clocks differ). */
const CLOCK_SKEW_MS = 60_000;

/** Event types the feed carries (audit events have their own route), the only ones a consumer can read. */
export const FEED_EVENT_TYPES: readonly string[] = EVENT_TYPES.filter((type) => inFeed({ type }));

/** Every filter must match an event type of the feed: a typo would otherwise read nothing, silently. */
export function checkConsumerTypes(types: readonly string[]): void {
  const errors = types.flatMap((filter, i) =>
    FEED_EVENT_TYPES.some(typeMatcher(filter))
      ? []
      : [{ path: `types.${i}`, message: `${filter} matches no event type of the feed` }],
  );
  if (errors.length > 0) throw new Problem('validation_failed', 'Unknown event types', { errors });
}

/** A tenant may create another consumer while it has fewer than its `feedConsumers` limit. */
export function requireConsumerAllowance(existing: number, limits: TenantLimits): void {
  if (existing >= limits.feedConsumers) {
    throw new Problem(
      'limit_exceeded',
      `The tenant may have ${limits.feedConsumers} feed consumer(s) and has ${existing}; ` +
        'delete one or ask the platform team to raise the limit',
    );
  }
}

/**
 * The position a commit stores: the watermark of a cursor the feed handed out (not a member's seq cursor), at a
 * real instant no later than now.
 */
export function committedPosition(cursor: string, now: Date): string {
  const decoded = decodeFeedCursor(cursor);
  if (!('after' in decoded)) throw new Problem('cursor_invalid', 'Commit a cursor this consumer read, not a seq');
  const time = feedPositionTime(decoded.after);
  const at = Date.parse(time);
  if (Number.isNaN(at) || new Date(at).toISOString() !== time || at > now.getTime() + CLOCK_SKEW_MS) {
    throw new Problem('cursor_invalid', 'The cursor is not one the feed handed out');
  }
  return decoded.after;
}

/** The position a seek sets; absent is the start. A seek into the future would skip events not yet committed. */
export function seekPosition(target: SeekTarget, now: Date): string | undefined {
  if ('to' in target) return target.to === 'start' ? undefined : feedPositionAfter(now.toISOString());
  if (Date.parse(target.at) > now.getTime()) {
    throw new Problem('validation_failed', 'Seek to an instant that has passed', {
      errors: [{ path: 'at', message: 'Must not be in the future' }],
    });
  }
  return feedPositionBefore(target.at);
}

/**
 * How far a consumer is behind: now minus the instant of its committed position, in whole seconds. A consumer that
 * commits the cursor of every read (even an empty one, whose cursor moves to what has settled) stays near the
 * feed's settle delay; one at the start is behind by the whole retention.
 */
export function lagSeconds(position: string | undefined, now: Date): number {
  if (position === undefined) return FEED_RETENTION_DAYS * 86_400;
  return Math.max(0, Math.floor((now.getTime() - Date.parse(feedPositionTime(position))) / 1000));
}

/** What a commit found: moved (or already there), behind the stored position, or no such consumer. */
export type CommitOutcome = { outcome: 'committed'; consumer: FeedConsumer } | { outcome: 'behind' | 'missing' };

/** The consumers of a tenant, stored (the adapter does only I/O and the forward-only condition). */
export interface FeedConsumerStore {
  list(tenantId: string): Promise<FeedConsumer[]>;
  get(tenantId: string, consumerId: string): Promise<FeedConsumer | null>;
  /** Writes a new consumer (its id must be new). */
  create(consumer: FeedConsumer): Promise<void>;
  /** Replaces name, types and settings, never the position; null when there is no such consumer. */
  update(
    consumer: Pick<FeedConsumer, 'tenantId' | 'consumerId' | 'name' | 'types' | 'settings' | 'updatedAt'>,
  ): Promise<FeedConsumer | null>;
  delete(tenantId: string, consumerId: string): Promise<boolean>;
  /** Stores `position` only when it is at or after the stored one (a conditional write). */
  commit(tenantId: string, consumerId: string, position: string, at: string): Promise<CommitOutcome>;
  /** Sets the position whatever it was (absent: the start); null when there is no such consumer. */
  seek(tenantId: string, consumerId: string, position: string | undefined, at: string): Promise<FeedConsumer | null>;
}
