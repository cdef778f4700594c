import { createHash } from 'node:crypto';

/**
 * Single-table keys. A member's partition holds its profile, balance, ledger entries and outbox
 * events, so one member's changes commit together and stream in per-item order.
 */

const pad = (n: number) => n.toString().padStart(12, '0');

/** Shards of tenant-wide index partitions: writes spread so no single index partition runs hot. */
export const MEMBER_LIST_SHARDS = 8;
export const DUE_SHARDS = 16;
/**
 * Shards of a tenant's event feed index (see domain/feed.ts for the write rate this allows): 32 keep one tenant at
 * 10,000 earns/s plus 1,000 redemptions/s (12,000 events/s) under half of each shard's write limit (`npm run bench --
 * partitions`). Events written under fewer shards stay readable: readers query every shard.
 */
export const FEED_SHARDS = 32;

/**
 * Shards of an endpoint's delivery log in the `deliveries` index (its messages, its attempts), by event id: one
 * endpoint taking 10,000 events/s (a message write and an attempt each) stays under half of each shard's write limit.
 * Readers query every shard and merge; the unsharded partitions written before stay readable.
 */
export const DELIVERY_LOG_SHARDS = 32;

const shardOf = (value: string, shards: number) => createHash('sha1').update(value).digest().readUInt32BE(0) % shards;

export const keys = {
  tenant: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'TENANT' }),
  /** An API key by its id (the id is part of the secret; only the secret's hash is stored). */
  apiKey: (keyId: string) => ({ pk: `APIKEY#${keyId}`, sk: 'APIKEY' }),
  /** The keys of one owner, on the `members` index (its key names are generic): a tenant's, or the operators'. */
  apiKeyList: (owner: { kind: 'tenant'; tenantId: string } | { kind: 'operator' }) =>
    owner.kind === 'tenant' ? `TENANT#${owner.tenantId}#APIKEYS` : 'OPERATORS#APIKEYS',
  /**
   * `members` index keys of a tenant item: every tenant in one partition, by id (the admin list). Tenants are few
   * and change rarely, so one partition never runs hot.
   */
  tenantListKeys: (tenantId: string) => ({ gsi1pk: keys.tenantList, gsi1sk: tenantId }),
  tenantList: 'TENANTS',
  /**
   * One of the copies of a tenant's status the API reads on every request, each its own partition: written with
   * every change of the tenant item, in the same transaction (decision 0012).
   */
  tenantStatus: (tenantId: string, replica: number) => ({ pk: `TENANT#${tenantId}#STATUS#${replica}`, sk: 'STATUS' }),
  /** An OAuth client by its public id (the token endpoint knows no tenant before it reads this). */
  oauthClient: (clientId: string) => ({ pk: `OAUTHCLIENT#${clientId}`, sk: 'OAUTHCLIENT' }),
  /** The tenant's list of its OAuth clients: one reference item per client. */
  oauthClientRef: (tenantId: string, clientId: string) => ({ pk: `TENANT#${tenantId}`, sk: `OAUTHCLIENT#${clientId}` }),
  oauthClientRefPrefix: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, skPrefix: 'OAUTHCLIENT#' }),
  subscription: (tenantId: string, subscriptionId: string) => ({
    pk: `TENANT#${tenantId}`,
    sk: `SUB#${subscriptionId}`,
  }),
  subscriptionPrefix: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, skPrefix: 'SUB#' }),
  memberPk: (tenantId: string, memberId: string) => `TENANT#${tenantId}#MEMBER#${memberId}`,
  profile: (tenantId: string, memberId: string) => ({ pk: keys.memberPk(tenantId, memberId), sk: 'PROFILE' }),
  balance: (tenantId: string, memberId: string) => ({ pk: keys.memberPk(tenantId, memberId), sk: 'BALANCE' }),
  /**
   * The member's contention queue (tickets), used only while writers collide; sorts next to the balance so one query
   * reads both.
   */
  queue: (tenantId: string, memberId: string) => ({ pk: keys.memberPk(tenantId, memberId), sk: 'BALANCE#QUEUE' }),
  entry: (tenantId: string, memberId: string, seq: number) => ({
    pk: keys.memberPk(tenantId, memberId),
    sk: `ENTRY#${pad(seq)}`,
  }),
  entryPrefix: 'ENTRY#',
  /** Reversal progress of an entry, written on its first reversal. */
  entryState: (tenantId: string, memberId: string, seq: number) => ({
    pk: keys.memberPk(tenantId, memberId),
    sk: `ENTRYSTATE#${pad(seq)}`,
  }),
  /** An imported history line (not an entry): by its original time, then its id in the previous programme. */
  historyLine: (tenantId: string, memberId: string, occurredAt: string, transactionId: string) => ({
    pk: keys.memberPk(tenantId, memberId),
    sk: `HISTORY#${occurredAt}#${transactionId}`,
  }),
  historyPrefix: 'HISTORY#',
  /** `byTime` index sort key of an entry: commit time, then seq. */
  entryTime: (createdAt: string, seq: number) => `AT#${createdAt}#${pad(seq)}`,
  /** `members` index keys of a profile. */
  memberListKeys: (tenantId: string, memberId: string) => ({
    gsi1pk: keys.memberListShard(tenantId, shardOf(memberId, MEMBER_LIST_SHARDS)),
    gsi1sk: memberId,
  }),
  memberListShard: (tenantId: string, shard: number) => `TENANT#${tenantId}#MEMBERS#${shard}`,
  /** `due` index partition of a member's balance. */
  dueShardOf: (tenantId: string, memberId: string) => keys.dueShard(shardOf(`${tenantId}/${memberId}`, DUE_SHARDS)),
  dueShard: (shard: number) => `DUE#${shard}`,
  /** Parses a member partition key back into its tenant and member. */
  parseMemberPk: (pk: string): { tenantId: string; memberId: string } | null => {
    const [, tenantId, memberId] = /^TENANT#([^#]+)#MEMBER#([^#]+)$/.exec(pk) ?? [];
    return tenantId && memberId ? { tenantId, memberId } : null;
  },
  reward: (tenantId: string, rewardId: string) => ({ pk: `TENANT#${tenantId}`, sk: `REWARD#${rewardId}` }),
  rewardPrefix: 'REWARD#',
  campaign: (tenantId: string, campaignId: string) => ({ pk: `TENANT#${tenantId}`, sk: `CAMPAIGN#${campaignId}` }),
  /** One shard of a sharded account (a reward's stock, a campaign's budget): its own partition. */
  accountShard: (tenantId: string, account: { kind: 'stock' | 'budget'; id: string }, shard: number) => ({
    pk: `TENANT#${tenantId}#${account.kind.toUpperCase()}#${account.id}#${shard}`,
    sk: 'ACCOUNT',
  }),
  /** A reward's codes not yet issued, split over shards; shard s holds as many codes as stock shard s counts. */
  voucherPool: (tenantId: string, rewardId: string, shard: number) =>
    `TENANT#${tenantId}#REWARD#${rewardId}#POOL#${shard}`,
  voucherPoolSk: (code: string) => `CODE#${code}`,
  voucherShardOf: (code: string, shards: number) => shardOf(code, shards),
  /** Every code ever imported for a reward, and what became of it: imports skip known codes. */
  voucherCode: (tenantId: string, rewardId: string, code: string) => ({
    pk: `TENANT#${tenantId}#REWARD#${rewardId}#CODE#${code}`,
    sk: 'CODE',
  }),
  redemption: (tenantId: string, memberId: string, seq: number) => ({
    pk: keys.memberPk(tenantId, memberId),
    sk: `REDEMPTION#${pad(seq)}`,
  }),
  redemptionPrefix: 'REDEMPTION#',
  offer: (tenantId: string, offerId: string) => ({ pk: `TENANT#${tenantId}`, sk: `OFFER#${offerId}` }),
  offerPrefix: 'OFFER#',
  /** The tenant's lake settings (minimisation) and its sealed pseudonymisation key, one item. */
  lakeSettings: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'LAKESETTINGS' }),
  programme: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'PROGRAMME' }),
  /** A named consumer of the event feed: its filter, minimisation and committed position. */
  feedConsumer: (tenantId: string, consumerId: string) => ({ pk: `TENANT#${tenantId}`, sk: `CONSUMER#${consumerId}` }),
  feedConsumerPrefix: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, skPrefix: 'CONSUMER#' }),
  /** A tenant's audit trail: its own partition, sorted by time then event id (see domain/audit.ts). */
  auditPk: (tenantId: string) => `TENANT#${tenantId}#AUDIT`,
  auditEvent: (tenantId: string, occurredAt: string, eventId: string) => ({
    pk: keys.auditPk(tenantId),
    sk: `${keys.auditSkPrefix}${occurredAt}#${eventId}`,
  }),
  auditSkPrefix: 'AT#',
  /** A tenant's webhook notices (endpoint disabled, dead letters growing): outbox items of their own partition. */
  webhookNotice: (tenantId: string, occurredAt: string, eventId: string) => ({
    pk: `TENANT#${tenantId}#NOTICE`,
    sk: `AT#${occurredAt}#${eventId}`,
  }),
  /**
   * `feed` index keys of an outbox event item: the tenant's feed shard (by member, or by event when no member
   * is named) and the global order, commit time then event id (ISO times sort as strings).
   */
  feedKeys: (tenantId: string, shardBy: string, occurredAt: string, eventId: string) => ({
    feedPk: keys.feedShard(tenantId, shardOf(shardBy, FEED_SHARDS)),
    feedSk: `${occurredAt}#${eventId}`,
  }),
  feedShard: (tenantId: string, shard: number) => `TENANT#${tenantId}#FEED#${shard}`,
  /** The sort key prefix of a member's outbox events (by seq). */
  eventPrefix: 'EVENT#',
  eventSeq: (seq: number) => `EVENT#${pad(seq)}`,
  event: (tenantId: string, memberId: string, seq: number) => ({
    pk: keys.memberPk(tenantId, memberId),
    sk: `EVENT#${pad(seq)}`,
  }),
  externalId: (tenantId: string, externalId: string) => ({ pk: `TENANT#${tenantId}#EXT#${externalId}`, sk: 'EXT' }),
  transaction: (tenantId: string, transactionId: string) => ({
    pk: `TENANT#${tenantId}#TXN#${transactionId}`,
    sk: 'TXN',
  }),
  idempotency: (tenantId: string, key: string) => ({ pk: `TENANT#${tenantId}#IDEM#${key}`, sk: 'IDEM' }),
  /** A webhook endpoint's own partition: its health (breaker state) and its operational events. */
  endpointPk: (tenantId: string, subscriptionId: string) => `TENANT#${tenantId}#ENDPOINT#${subscriptionId}`,
  endpointHealth: (tenantId: string, subscriptionId: string) => ({
    pk: keys.endpointPk(tenantId, subscriptionId),
    sk: 'HEALTH',
  }),
  endpointEvent: (tenantId: string, subscriptionId: string, seq: number) => ({
    pk: keys.endpointPk(tenantId, subscriptionId),
    sk: `EVENT#${pad(seq)}`,
  }),
  /** One message (an event for an endpoint) and its attempts: a partition per message, so none grows hot or large. */
  delivery: (tenantId: string, subscriptionId: string, eventId: string) => ({
    pk: `${keys.endpointPk(tenantId, subscriptionId)}#MSG#${eventId}`,
    sk: 'MSG',
  }),
  deliveryAttempt: (tenantId: string, subscriptionId: string, eventId: string, attempt: number) => ({
    pk: `${keys.endpointPk(tenantId, subscriptionId)}#MSG#${eventId}`,
    sk: `ATT#${attempt.toString().padStart(4, '0')}`,
  }),
  attemptPrefix: 'ATT#',
  /**
   * `deliveries` index partitions of an endpoint: its messages by event time, its attempts by attempt time, in the
   * shard of the message's event id (`deliveryLogShard`); without a shard, the one partition used before sharding.
   */
  endpointMessages: (tenantId: string, subscriptionId: string, shard?: number) =>
    `${keys.endpointPk(tenantId, subscriptionId)}#MESSAGES${shard === undefined ? '' : `#${shard}`}`,
  endpointAttempts: (tenantId: string, subscriptionId: string, shard?: number) =>
    `${keys.endpointPk(tenantId, subscriptionId)}#ATTEMPTS${shard === undefined ? '' : `#${shard}`}`,
  deliveryLogShard: (eventId: string) => shardOf(eventId, DELIVERY_LOG_SHARDS),
  /** An endpoint's dead letters, oldest first; a redrive removes them. */
  deadLetters: (tenantId: string, subscriptionId: string) => `${keys.endpointPk(tenantId, subscriptionId)}#DEAD`,
  /** A digest window of an endpoint (one part of at most DIGEST_MAX_EVENTS events): its header and its events. */
  digestWindowPk: (tenantId: string, subscriptionId: string, windowStart: number, part: number) =>
    `${keys.endpointPk(tenantId, subscriptionId)}#DIGEST#${windowStart}#${part}`,
  digestEventPrefix: 'EV#',
  /** A tenant's scheduled export (definition and schedule state). */
  export: (tenantId: string, exportId: string) => ({ pk: `TENANT#${tenantId}`, sk: `EXPORT#${exportId}` }),
  exportPrefix: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, skPrefix: 'EXPORT#' }),
  /** `due` index partition of every enabled export, by when its next window is due (one partition, few items). */
  exportsDue: 'EXPORTS#DUE',
  parseExport: (key: { pk: string; sk: string }): { tenantId: string; exportId: string } | null => {
    const tenantId = /^TENANT#([^#]+)$/.exec(key.pk)?.[1];
    const exportId = /^EXPORT#(.+)$/.exec(key.sk)?.[1];
    return tenantId && exportId ? { tenantId, exportId } : null;
  },
  /** One run of an export: a partition per export, by window start (ISO times sort as strings). */
  exportRunPk: (tenantId: string, exportId: string) => `TENANT#${tenantId}#EXPORT#${exportId}`,
  exportRun: (tenantId: string, exportId: string, windowStart: string) => ({
    pk: keys.exportRunPk(tenantId, exportId),
    sk: `${keys.exportRunPrefix}${windowStart}`,
  }),
  exportRunPrefix: 'RUN#',
  /** The lease of a scheduled job: one run at a time. */
  jobLease: (job: string) => ({ pk: `JOB#${job}`, sk: 'LEASE' }),
  /** The endpoint's slots for messages waiting in flight on the queue (at most MAX_WAITING_PER_ENDPOINT items). */
  waitingSlot: (tenantId: string, subscriptionId: string, slot: number) => ({
    pk: `${keys.endpointPk(tenantId, subscriptionId)}#SLOTS`,
    sk: `SLOT#${slot.toString().padStart(4, '0')}`,
  }),
  waitingSlotsPk: (tenantId: string, subscriptionId: string) => `${keys.endpointPk(tenantId, subscriptionId)}#SLOTS`,
  /**
   * One member's parked messages for one endpoint: the chain's head/tail marker, its items in order, a guard per
   * message.
   */
  parkedChainPk: (tenantId: string, subscriptionId: string, orderKey: string) =>
    `${keys.endpointPk(tenantId, subscriptionId)}#PARK#${orderKey}`,
  parkedChainSk: 'CHAIN',
  parkedItemSk: (seq: number) => `P#${pad(seq)}`,
  parkedGuardSk: (eventId: string, round: number) => `G#${eventId}#${round}`,
  /** `deliveries` index partition of an endpoint's non-empty parked chains, by when to look at them next. */
  endpointParked: (tenantId: string, subscriptionId: string) => `${keys.endpointPk(tenantId, subscriptionId)}#PARKED`,
  /** Attempts started against an endpoint in one second (rate limit), kept briefly. */
  rateWindow: (tenantId: string, subscriptionId: string, epochSecond: number) => ({
    pk: `${keys.endpointPk(tenantId, subscriptionId)}#RATE#${epochSecond}`,
    sk: 'RATE',
  }),
  /** A backfill of the tenant's events (domain/backfill.ts); ids sort by creation time. */
  backfill: (tenantId: string, backfillId: string) => ({ pk: `TENANT#${tenantId}`, sk: `BACKFILL#${backfillId}` }),
  backfillPrefix: 'BACKFILL#',
  /** Held by the tenant's one active backfill (its id), deleted when it ends. */
  backfillLock: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'BACKFILLLOCK' }),
  /** A platform maintenance window (domain/maintenance.ts): platform-wide, its own partition. */
  maintenanceWindow: (windowId: string) => ({ pk: `MAINTENANCE#${windowId}`, sk: 'WINDOW' }),
  /**
   * `members` index keys of a window: every window in one partition by end time (windows are few), so tenants'
   * reads find the recent and upcoming ones without reading old ones.
   */
  maintenanceListKeys: (endsAt: string, windowId: string) => ({
    gsi1pk: keys.maintenanceList,
    gsi1sk: `${endsAt}#${windowId}`,
  }),
  maintenanceList: 'MAINTENANCE',
  /** `due` index partition of windows with a notice still to send, by when it is due (one partition, few items). */
  maintenanceDue: 'MAINTENANCE#DUE',
  /**
   * A tenant's platform notices, one item per window and notice: one partition per tenant, so a tenant's notices
   * stream (and reach its endpoints) in the order they were written.
   */
  platformNotice: (tenantId: string, windowId: string, phase: string) => ({
    pk: `TENANT#${tenantId}#PLATFORM`,
    sk: `MAINTENANCE#${windowId}#${phase}`,
  }),
  /** A batch of commands (domain/batches.ts): its own partition holds the batch, its results and its event. */
  batchPk: (tenantId: string, batchId: string) => `TENANT#${tenantId}#BATCH#${batchId}`,
  batch: (tenantId: string, batchId: string) => ({ pk: keys.batchPk(tenantId, batchId), sk: 'BATCH' }),
  batchResult: (tenantId: string, batchId: string, index: number) => ({
    pk: keys.batchPk(tenantId, batchId),
    sk: `${keys.batchResultPrefix}${pad(index)}`,
  }),
  batchResultPrefix: 'R#',
  batchEvent: (tenantId: string, batchId: string) => ({ pk: keys.batchPk(tenantId, batchId), sk: 'EVENT' }),
  /** The batch an Idempotency-Key of `POST /v1/batches` made (a retry finds it here). */
  batchKey: (tenantId: string, key: string) => ({ pk: `TENANT#${tenantId}#BATCHKEY#${key}`, sk: 'BATCHKEY' }),
};
