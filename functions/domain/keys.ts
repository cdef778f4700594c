/**
 * Single-table keys. A member's partition holds its profile, balance, ledger entries and outbox
 * events, so one member's changes commit together and stream in per-item order.
 */
const pad = (n: number) => n.toString().padStart(12, '0');

export const keys = {
  tenant: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, sk: 'TENANT' }),
  apiKey: (keyHash: string) => ({ pk: `APIKEY#${keyHash}`, sk: 'APIKEY' }),
  subscription: (tenantId: string, subscriptionId: string) => ({ pk: `TENANT#${tenantId}`, sk: `SUB#${subscriptionId}` }),
  subscriptionPrefix: (tenantId: string) => ({ pk: `TENANT#${tenantId}`, skPrefix: 'SUB#' }),
  memberPk: (tenantId: string, memberId: string) => `TENANT#${tenantId}#MEMBER#${memberId}`,
  profile: (tenantId: string, memberId: string) => ({ pk: keys.memberPk(tenantId, memberId), sk: 'PROFILE' }),
  balance: (tenantId: string, memberId: string) => ({ pk: keys.memberPk(tenantId, memberId), sk: 'BALANCE' }),
  entry: (tenantId: string, memberId: string, seq: number) => ({ pk: keys.memberPk(tenantId, memberId), sk: `ENTRY#${pad(seq)}` }),
  event: (tenantId: string, memberId: string, seq: number) => ({ pk: keys.memberPk(tenantId, memberId), sk: `EVENT#${pad(seq)}` }),
  externalId: (tenantId: string, externalId: string) => ({ pk: `TENANT#${tenantId}#EXT#${externalId}`, sk: 'EXT' }),
  idempotency: (tenantId: string, key: string) => ({ pk: `TENANT#${tenantId}#IDEM#${key}`, sk: 'IDEM' }),
};
