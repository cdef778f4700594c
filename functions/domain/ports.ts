import type { TenantLimits } from './credentials';
import type { Balance, EntryState, EntryType, LedgerEntry, MemberProfile, MemberStatus, Mutation } from './ledger';
import type { AuditEvent } from './events';
import type { HistoryLine } from './history';
import type { MinimisationSettings } from './minimisation';
import type { Offer } from './offers';
import type { Programme } from './programme';
import type { CallbackAuth } from './webhooks/callback-config';
import type { EndpointType } from './webhooks/endpoint-types';
import type { EndpointMaintenanceWindow } from './webhooks/maintenance-windows';
import type { AccountRef, Campaign, Redemption, Reward } from './rewards';

/** A response remembered for an Idempotency-Key, bound forever to a hash of the request. */
export interface IdempotencyRecord {
  tenantId: string;
  key: string;
  requestHash: string;
  statusCode: number;
  body: string;
  createdAt: string;
}

export type CommitResult =
  | { ok: true }
  | {
      ok: false;
      conflict: 'version' | 'idempotency' | 'externalId' | 'member' | 'transaction' | 'stock' | 'budget' | 'voucher';
      current?: Balance;
    };

/**
 * Several commands of one member committed as one transaction (group commit): their changes merged
 * into one mutation, or none when every command of the group was refused, and each command's own
 * idempotency record.
 */
export interface CommitGroup {
  tenantId: string;
  memberId: string;
  /** The balance version the group was planned on. */
  expectedVersion: number;
  mutation: Mutation | null;
  records: IdempotencyRecord[];
}

export type GroupCommitResult =
  | { ok: true }
  /** These keys were taken meanwhile: their commands replay, the others commit again without them. */
  | { ok: false; conflict: 'idempotency'; keys: string[] }
  | { ok: false; conflict: 'version'; current?: Balance };

/** A page of results and the opaque cursor of the next page (absent on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface EntryQuery {
  types?: EntryType[];
  /** Inclusive ISO instants on the commit time. */
  from?: string;
  to?: string;
  order: 'asc' | 'desc';
  limit: number;
  cursor?: string;
}

/** The ledger's persistence port; DynamoDB implements it with one TransactWriteItems per change. */
export interface LedgerStore {
  getBalance(tenantId: string, memberId: string): Promise<Balance | null>;
  /** Several members' balances in one batch read, by member id. */
  getBalances(tenantId: string, memberIds: string[]): Promise<Map<string, Balance>>;
  getProfile(tenantId: string, memberId: string): Promise<MemberProfile | null>;
  findMemberIdByExternalId(tenantId: string, externalId: string): Promise<string | null>;
  getIdempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | null>;
  /** An entry and its reversal progress (null before its first reversal). */
  getEntry(
    tenantId: string,
    memberId: string,
    seq: number,
  ): Promise<{ entry: LedgerEntry; state: EntryState | null } | null>;
  listEntries(tenantId: string, memberId: string, query: EntryQuery): Promise<Page<LedgerEntry>>;
  /** The last entry committed at or before `at`. */
  lastEntryAt(tenantId: string, memberId: string, at: string): Promise<LedgerEntry | null>;
  listMembers(
    tenantId: string,
    query: { limit: number; cursor?: string; status?: MemberStatus },
  ): Promise<Page<MemberProfile>>;
  /** Members whose housekeeping is due at `now`, from one shard of the due index. */
  listDue(shard: number, now: string, limit: number): Promise<{ tenantId: string; memberId: string }[]>;
  /** Commits the change and, for API requests, the idempotency record together, or nothing. */
  commit(mutation: Mutation, record: IdempotencyRecord | null): Promise<CommitResult>;
  /** Commits a member's group of commands all or nothing; see `CommitGroup`. */
  commitGroup(group: CommitGroup): Promise<GroupCommitResult>;
  /** Remembers an outcome that changed nothing (a business failure); false if the key exists. */
  saveIdempotencyRecord(record: IdempotencyRecord): Promise<boolean>;
  /** The member's contention queue: take the next ticket (the first is 1). */
  takeTicket(tenantId: string, memberId: string): Promise<number>;
  /** The ticket being served and since when, with the balance as of the same read. */
  queueState(
    tenantId: string,
    memberId: string,
  ): Promise<{ nowServing: number; servedAt: string; balance: Balance | null }>;
  /** Serves the ticket after `ticket`, if `ticket` is still the one served. */
  advanceQueue(tenantId: string, memberId: string, ticket: number): Promise<void>;
  getRedemption(tenantId: string, memberId: string, seq: number): Promise<Redemption | null>;
  /** The member's redemptions, newest first. */
  listRedemptions(
    tenantId: string,
    memberId: string,
    query: { limit: number; cursor?: string },
  ): Promise<Page<Redemption>>;
  /**
   * The shard balances of a sharded account (a hint for choosing a shard; the commit decides). Strongly consistent
   * unless `consistent: false`: half the read units, for picks that the commit's condition guards anyway.
   */
  accountBalances(tenantId: string, account: AccountRef, options?: { consistent: boolean }): Promise<number[]>;
  /** Moves points between an account's shards so `target` can afford a debit; false if a shard changed meanwhile. */
  rebalance(
    tenantId: string,
    account: AccountRef,
    plan: { target: number; moves: { from: number; points: number }[] },
  ): Promise<boolean>;
  /** Up to `limit` codes still in one shard of a reward's pool. */
  poolCodes(tenantId: string, rewardId: string, shard: number, limit: number): Promise<string[]>;
  /**
   * Records an imported history line with its idempotency record, both or neither, while the member exists and is
   * not erased: `idempotency` when the key is taken, `member` when the member is missing or erased.
   */
  commitHistoryLine(line: HistoryLine, record: IdempotencyRecord): Promise<'ok' | 'idempotency' | 'member'>;
  /** The member's imported history lines by original time. */
  listHistory(
    tenantId: string,
    memberId: string,
    query: { limit: number; cursor?: string; order: 'asc' | 'desc' },
  ): Promise<Page<HistoryLine>>;
}

/** A tenant's rewards and campaigns, their stock, pools and budgets (admin side). */
export interface RewardStore {
  listRewards(tenantId: string): Promise<Reward[]>;
  /** Strongly consistent unless `consistent: false` (half the read unit; a change may take about a second to show). */
  getReward(tenantId: string, rewardId: string, options?: { consistent?: boolean }): Promise<Reward | null>;
  putReward(reward: Reward): Promise<void>;
  /** Strongly consistent unless `consistent: false`, as `getReward`. */
  getCampaign(tenantId: string, campaignId: string, options?: { consistent?: boolean }): Promise<Campaign | null>;
  /** Creates or updates name and status; the funded total only changes by `credit`. */
  putCampaign(campaign: Omit<Campaign, 'fundedPoints'>): Promise<Campaign>;
  /**
   * Credits an account, spread over its shards, with the idempotency record in the same commit; false if the key was
   * used.
   */
  credit(tenantId: string, account: AccountRef, amount: number, record: IdempotencyRecord): Promise<boolean>;
  /** Imports codes into a voucher reward's pool (codes seen before are skipped); its stock grows by the codes added. */
  importCodes(tenantId: string, rewardId: string, codes: string[]): Promise<{ imported: number; duplicates: number }>;
}

/** A tenant's offer catalogue. */
export interface OfferStore {
  list(tenantId: string): Promise<Offer[]>;
  get(tenantId: string, offerId: string): Promise<Offer | null>;
  put(offer: Offer): Promise<void>;
}

/** Tenant programme settings; a put succeeds only over the version it was read at. */
export interface ProgrammeStore {
  get(tenantId: string): Promise<Programme>;
  put(programme: Programme, expectedVersion: number): Promise<boolean>;
}

export interface Tenant {
  tenantId: string;
  name: string;
  status: 'active' | 'suspended';
  /** Kept with the tenant; a tenant stored before limits existed reads as the defaults. */
  limits: TenantLimits;
  createdAt: string;
  updatedAt: string;
  /** Since when the tenant is suspended (absent while active). */
  suspendedAt?: string;
  /**
   * The tenant's usage identifier at the API edge (deployed: the value of its API Gateway API key in the usage
   * plan of its limits), which the authorizer hands to API Gateway. An identifier for throttling, not a credential.
   */
  usageIdentifierKey?: string;
}

/** The API throttle of a tenant: its steady rate and burst (the rest of its limits are the platform's own). */
export type ThrottleLimits = Pick<TenantLimits, 'requestsPerSecond' | 'burst'>;

/**
 * Per-tenant throttling at the API edge. Deployed, one API Gateway usage plan per distinct (rate, burst) serves
 * every tenant with those limits, each tenant with its own API key in it; on the twin, the gateway's token buckets.
 */
export interface TenantThrottling {
  /**
   * Puts the tenant under these limits (creating the plan and its key when new, moving the key when the limits
   * changed) and answers the tenant's usage identifier key, for the authorizer to hand to the gateway.
   */
  apply(tenantId: string, limits: ThrottleLimits): Promise<string>;
}

/** What creating a tenant together with its first key needs: the rest takes its defaults. */
export type TenantBasics = Pick<Tenant, 'tenantId' | 'name' | 'status'>;

/** Tenants, for the admin API and the per-request status check. */
export interface TenantStore {
  /** `consistent`: a strongly consistent read, so a change that finished before is seen (suspension). */
  getTenant(tenantId: string, options?: { consistent?: boolean }): Promise<Tenant | null>;
  /** The status the API checks on every request: strongly consistent, so a suspension is seen at once. */
  getTenantStatus(tenantId: string): Promise<Pick<Tenant, 'status'> | null>;
  /** False when the tenant exists already. */
  createTenant(tenant: Tenant): Promise<boolean>;
  /** Writes the tenant over the version read (its `updatedAt`); false when it changed meanwhile. */
  saveTenant(tenant: Tenant, expectedUpdatedAt: string): Promise<boolean>;
  /** Every tenant by id, a page at a time. */
  listTenants(query: { limit: number; cursor?: string }): Promise<Page<Tenant>>;
  /** Records the tenant's usage identifier at the API edge (what `TenantThrottling.apply` answered). */
  setUsageIdentifierKey(tenantId: string, usageIdentifierKey: string): Promise<void>;
}

export interface WebhookSubscription {
  tenantId: string;
  subscriptionId: string;
  url: string;
  description?: string;
  /** Exact types, `prefix.*` wildcards or `*`. */
  eventTypes: string[];
  enabled: boolean;
  /** Signing secrets, newest first; during rotation more than one signs. */
  secrets: string[];
  /** After a rotation, the older secrets (and ed25519 keys) sign until this instant, then only the newest does. */
  secretsRetireAt?: string;
  /** Optional ed25519 signing keys (`whsk_…`), newest first: each adds a `v1a,` signature. */
  signingKeys?: string[];
  /** full: the whole event; thin: the envelope and the data's ids only (receivers read the rest through the API). */
  payload?: 'full' | 'thin';
  /** Full mode only: the data fields to send (absent: all of them). The envelope is always sent. */
  fields?: string[];
  /**
   * Digest mode: one call per window of this many seconds, carrying the window's events, instead of one call per event.
   */
  digest?: { intervalSeconds: number };
  /** Attempts per second at most (absent: no cap but the platform's drain ramp after an outage). */
  rateLimitPerSecond?: number;
  /** Why the platform disabled the endpoint (absent when a person did, or when enabled). */
  disabledReason?: 'gone' | 'failing';
  disabledAt?: string;
  /** Where it posts: a signed webhook (default), or a Slack or Teams incoming webhook given readable messages. */
  type?: EndpointType;
  /** A callback endpoint's auth to the receiver (its secret sealed with the signing secrets); see callback-config. */
  auth?: CallbackAuth;
  /** A callback endpoint's own headers, sent with every call. */
  headers?: Record<string, string>;
  /** A callback endpoint's json-e body template (absent: the webhook body). */
  template?: unknown;
  /** The tenant's maintenance windows for this endpoint (deliveries wait through them); see maintenance-windows.ts. */
  maintenanceWindows?: EndpointMaintenanceWindow[];
  /** The endpoint's operational events so far (`endpoint.disabled`): the next one's seq is this plus one. */
  eventSeq?: number;
  createdAt: string;
  updatedAt?: string;
}

/**
 * Whose secret a sealed value is (e.g. `{ tenantId, subscriptionId }`): bound to the sealed value, so it opens
 * only for the same owner (KMS encryption context deployed, and AES-GCM additional data everywhere).
 */
export type SealingContext = Readonly<Record<string, string>>;

/** A secret under envelope encryption: its data key encrypted by the master key, and AES-256-GCM parts. */
export interface SealedSecret {
  /** Format version. */
  v: 1;
  /** The data key, encrypted under the master key (KMS ciphertext blob deployed), base64. */
  encryptedKey: string;
  iv: string;
  tag: string;
  ciphertext: string;
}

/** Encrypts secrets at rest (envelope encryption) and opens them again for the same context only. */
export interface SecretSealer {
  seal(plaintext: string, context: SealingContext): Promise<SealedSecret>;
  /** Fails when the sealed value was changed or the context is not the one it was sealed with. */
  open(sealed: SealedSecret, context: SealingContext): Promise<string>;
}

/** A tenant's lake settings as stored. */
export interface StoredLakeSettings {
  settings: MinimisationSettings;
  updatedAt: string;
}

/**
 * Lake settings per tenant and the tenant's pseudonymisation key, kept sealed (context: tenant and purpose). The key
 * is created with the first settings written, so whoever only reads (the lake router) never seals.
 */
export interface LakeSettingsStore {
  get(tenantId: string): Promise<StoredLakeSettings | null>;
  put(tenantId: string, stored: StoredLakeSettings): Promise<void>;
  /** The tenant's key, opened (base64); null when it has none yet, unless `create` makes it (first use). */
  pseudonymKey(tenantId: string, options?: { create?: boolean }): Promise<string | null>;
}

export interface SubscriptionStore {
  listForTenant(tenantId: string): Promise<WebhookSubscription[]>;
  get(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | null>;
  put(subscription: WebhookSubscription): Promise<void>;
  delete(tenantId: string, subscriptionId: string): Promise<boolean>;
  /**
   * Replaces the endpoint's maintenance windows and sets `updatedAt`, if the endpoint is still as read (its
   * `updatedAt` was `expectedUpdatedAt`): false when it is gone or was changed meanwhile.
   */
  setMaintenanceWindows(
    tenantId: string,
    subscriptionId: string,
    windows: EndpointMaintenanceWindow[],
    change: { expectedUpdatedAt: string | undefined; updatedAt: string },
  ): Promise<boolean>;
}

export interface AuditQuery {
  /** Only types starting with this, e.g. `audit.api_key` or `audit.webhook_endpoint.deleted`. */
  typePrefix?: string;
  /** Events at or after this instant. */
  from?: string;
  /** Events at or before this instant. */
  to?: string;
  limit: number;
  cursor?: string;
}

/** The tenant's audit trail (see domain/audit.ts): recording is idempotent on the event id. */
export interface AuditTrail {
  record(event: AuditEvent): Promise<void>;
  /** Newest first. */
  list(tenantId: string, query: AuditQuery): Promise<Page<AuditEvent>>;
}
