import type { Clock } from '../shared/clock';
import { newId } from '../shared/ids';
import { Problem } from '../shared/problem';
import type { TenantLimits } from './credentials';
import { encodeFeedCursor, FEED_MAX_WAIT_SECONDS, type EventFeed } from './feed';
import {
  checkConsumerTypes,
  committedPosition,
  lagSeconds,
  requireConsumerAllowance,
  seekPosition,
  type FeedConsumer,
  type FeedConsumerStore,
  type SeekTarget,
} from './feed-consumers';
import { minimise, type MinimisationSettings } from './minimisation';
import type { LakeSettingsStore } from './ports';
import { memberIdsFor } from './pseudonyms';

/** What a tenant sets on a consumer. */
export interface ConsumerSettings {
  name: string;
  types: string[];
  settings: MinimisationSettings;
}

export interface ConsumerRead {
  /** The events after the committed position, minimised by the consumer's settings. */
  items: Record<string, unknown>[];
  /** Commit it once the items are processed (the next read then starts after them). */
  nextCursor: string;
  /** Seconds behind now of the committed position (after `autoCommit`, the new one). */
  lagSeconds: number;
  /** The oldest event of this read not committed yet (absent when there is none or it was auto-committed). */
  oldestUnreadAt?: string;
}

/** The opaque cursor of a committed position; none at the start. */
export const positionCursor = (position: string | undefined) =>
  position === undefined ? undefined : encodeFeedCursor({ after: position });

/**
 * Named consumers of the event feed: their settings (capped by the tenant's `feedConsumers` limit), reads from the
 * committed position through the same `EventFeed` as `GET /v1/events`, forward-only commits and seeks. Pseudonyms
 * use the tenant's lake key, so a consumer's member ids join with the lake files.
 */
export class FeedConsumers {
  constructor(
    private readonly store: FeedConsumerStore,
    private readonly feed: EventFeed,
    private readonly keys: Pick<LakeSettingsStore, 'pseudonymKey'>,
    private readonly clock: Clock,
  ) {}

  list(tenantId: string): Promise<FeedConsumer[]> {
    return this.store.list(tenantId);
  }

  async delete(tenantId: string, consumerId: string): Promise<void> {
    if (!(await this.store.delete(tenantId, consumerId))) {
      throw new Problem('event_consumer_not_found', `No event consumer ${consumerId}`);
    }
  }

  async require(tenantId: string, consumerId: string): Promise<FeedConsumer> {
    const consumer = await this.store.get(tenantId, consumerId);
    if (!consumer) throw new Problem('event_consumer_not_found', `No event consumer ${consumerId}`);
    return consumer;
  }

  /** A new consumer at the start of retention. The cap is read, not a write condition: racers may pass it by one. */
  async create(tenantId: string, input: ConsumerSettings, limits: TenantLimits): Promise<FeedConsumer> {
    checkConsumerTypes(input.types);
    requireConsumerAllowance((await this.store.list(tenantId)).length, limits);
    const now = this.clock.now();
    const at = now.toISOString();
    const consumer = { tenantId, consumerId: newId('ecn', now.getTime()), ...input, createdAt: at, updatedAt: at };
    await this.store.create(consumer);
    return consumer;
  }

  async update(tenantId: string, consumerId: string, input: ConsumerSettings): Promise<FeedConsumer> {
    checkConsumerTypes(input.types);
    const updatedAt = this.clock.now().toISOString();
    const updated = await this.store.update({ tenantId, consumerId, ...input, updatedAt });
    if (!updated) throw new Problem('event_consumer_not_found', `No event consumer ${consumerId}`);
    return updated;
  }

  /**
   * Reads from the committed position without moving it (unless `autoCommit`: at most once, since the events count
   * as processed when they are handed out).
   */
  async read(
    tenantId: string,
    consumerId: string,
    request: { limit: number; wait?: number; autoCommit?: boolean },
  ): Promise<ConsumerRead> {
    const consumer = await this.require(tenantId, consumerId);
    const { settings } = consumer;
    const pseudonym = await memberIdsFor(this.keys, tenantId, settings.pseudonymiseMemberIds, { create: true });
    const cursor = positionCursor(consumer.position);
    const page = await this.feed.read(tenantId, {
      type: consumer.types,
      limit: request.limit,
      wait: Math.min(request.wait ?? 0, FEED_MAX_WAIT_SECONDS),
      ...(cursor ? { cursor } : {}),
    });
    const { nextCursor } = page;
    // A read without `to` is an open range: the feed always hands back a cursor to go on from.
    if (nextCursor === undefined) throw new Error('The feed answered an open range without a cursor');
    const items = page.items.map((event) => minimise(event, settings, pseudonym));
    let position = consumer.position;
    if (request.autoCommit) position = (await this.commit(tenantId, consumerId, nextCursor)).position;
    const oldest = request.autoCommit ? undefined : page.items[0]?.occurredAt;
    return {
      items,
      nextCursor,
      lagSeconds: lagSeconds(position, this.clock.now()),
      ...(oldest ? { oldestUnreadAt: oldest } : {}),
    };
  }

  /**
   * Stores the cursor as the committed position. Committing the same cursor again is a no-op (a retried commit);
   * an older one is refused: two workers share the consumer, or a worker commits stale work.
   */
  async commit(tenantId: string, consumerId: string, cursor: string): Promise<FeedConsumer> {
    const now = this.clock.now();
    const result = await this.store.commit(tenantId, consumerId, committedPosition(cursor, now), now.toISOString());
    if (result.outcome === 'committed') return result.consumer;
    if (result.outcome === 'missing') throw new Problem('event_consumer_not_found', `No event consumer ${consumerId}`);
    const current = await this.require(tenantId, consumerId);
    throw new Problem('event_consumer_commit_behind', 'The consumer has committed a later position already', {
      committedCursor: positionCursor(current.position),
    });
  }

  async seek(tenantId: string, consumerId: string, target: SeekTarget): Promise<FeedConsumer> {
    const now = this.clock.now();
    const sought = await this.store.seek(tenantId, consumerId, seekPosition(target, now), now.toISOString());
    if (!sought) throw new Problem('event_consumer_not_found', `No event consumer ${consumerId}`);
    return sought;
  }
}
