import type { Balance, EntryState, EntryType, LedgerEntry, MemberProfile, MemberStatus, Mutation } from './ledger';
import type { Offer } from './offers';
import type { Programme } from './programme';

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
  | { ok: false; conflict: 'version' | 'idempotency' | 'externalId' | 'member' | 'transaction'; current?: Balance };

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
  getEntry(tenantId: string, memberId: string, seq: number): Promise<{ entry: LedgerEntry; state: EntryState | null } | null>;
  listEntries(tenantId: string, memberId: string, query: EntryQuery): Promise<Page<LedgerEntry>>;
  /** The last entry committed at or before `at`. */
  lastEntryAt(tenantId: string, memberId: string, at: string): Promise<LedgerEntry | null>;
  listMembers(tenantId: string, query: { limit: number; cursor?: string; status?: MemberStatus }): Promise<Page<MemberProfile>>;
  /** Members whose housekeeping is due at `now`, from one shard of the due index. */
  listDue(shard: number, now: string, limit: number): Promise<{ tenantId: string; memberId: string }[]>;
  /** Commits the change and, for API requests, the idempotency record together, or nothing. */
  commit(mutation: Mutation, record: IdempotencyRecord | null): Promise<CommitResult>;
  /** Remembers an outcome that changed nothing (a business failure); false if the key exists. */
  saveIdempotencyRecord(record: IdempotencyRecord): Promise<boolean>;
  /** The member's contention queue: take the next ticket (the first is 1). */
  takeTicket(tenantId: string, memberId: string): Promise<number>;
  /** The ticket being served and since when, with the balance as of the same read. */
  queueState(tenantId: string, memberId: string): Promise<{ nowServing: number; servedAt: string; balance: Balance | null }>;
  /** Serves the ticket after `ticket`, if `ticket` is still the one served. */
  advanceQueue(tenantId: string, memberId: string, ticket: number): Promise<void>;
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
}

export interface ApiKeyRecord {
  keyId: string;
  tenantId: string;
  scopes: string[];
  status: 'active' | 'revoked';
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
  createdAt: string;
}

export interface SubscriptionStore {
  listForTenant(tenantId: string): Promise<WebhookSubscription[]>;
  get(tenantId: string, subscriptionId: string): Promise<WebhookSubscription | null>;
  put(subscription: WebhookSubscription): Promise<void>;
}
