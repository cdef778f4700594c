import type { Balance, MemberProfile, Mutation } from './ledger';

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
  | { ok: false; conflict: 'version' | 'idempotency' | 'externalId' | 'member'; current?: Balance };

/** The ledger's persistence port; DynamoDB implements it with one TransactWriteItems per change. */
export interface LedgerStore {
  getBalance(tenantId: string, memberId: string): Promise<Balance | null>;
  getProfile(tenantId: string, memberId: string): Promise<MemberProfile | null>;
  findMemberIdByExternalId(tenantId: string, externalId: string): Promise<string | null>;
  getIdempotencyRecord(tenantId: string, key: string): Promise<IdempotencyRecord | null>;
  /** Commits the change and the idempotency record together, or nothing. */
  commit(mutation: Mutation, record: IdempotencyRecord): Promise<CommitResult>;
  /** Remembers an outcome that changed nothing (a business failure); false if the key exists. */
  saveIdempotencyRecord(record: IdempotencyRecord): Promise<boolean>;
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
