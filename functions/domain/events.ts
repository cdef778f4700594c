import * as z from '../shared/zod';
import { EXPORT_DATASETS, exportCadence } from './exports';
import { TRANSACTION_TYPES } from './earning-rules';
import { Problem } from '../shared/problem';
import { NOT_WELL_FORMED, illFormedPaths } from '../shared/well-formed';

/**
 * The event catalogue. Every state change writes one of these, complete, to the outbox in the
 * same transaction; webhooks, the lake and the feed all carry exactly this shape. Events carry
 * identifiers and points, never profile data (data minimisation: an erased member's events hold
 * nothing personal). `docs/events/` is generated from these schemas (`npm run catalogue`).
 */
const envelope = {
  id: z.string().check(z.describe('Unique event id; the webhook-id of every delivery of this event')),
  version: z.literal(1).check(z.describe('Version of this event type’s schema')),
  tenantId: z.string(),
  memberId: z.string(),
  seq: z.number().check(z.int(), z.positive(), z.describe('Per-member sequence number, gap-free, starting at 1')),
  occurredAt: z.iso
    .datetime()
    .check(
      z.describe('Commit time of the change (UTC, ISO 8601), never earlier than the previous event of the member'),
    ),
  correlationId: z
    .optional(z.string())
    .check(
      z.describe(
        'The request or job that made the change: the caller’s x-correlation-id, else the API request id or job run id',
      ),
    ),
};

export const balanceSnapshot = z
  .object({
    availablePoints: z.number().check(z.int(), z.gte(0)),
    pendingPoints: z.number().check(z.int(), z.gte(0)),
    lifetimePoints: z
      .number()
      .check(z.int(), z.gte(0), z.describe('Points earned and activated, less reversed earnings')),
    tier: z.string(),
  })
  .check(z.describe('The member’s balance right after this event'));
export type BalanceSnapshot = z.infer<typeof balanceSnapshot>;

export const pointLot = z.object({
  expiresAt: z.nullable(z.iso.datetime()).check(z.describe('When these points expire; null never')),
  points: z.number().check(z.int(), z.positive()),
});

const entryId = z.string().check(z.describe('The ledger entry this event records'));
const reason = z.string().check(z.describe('Why, as the calling system or admin stated it'));
const source = z.optional(z.string()).check(z.describe('Calling system, e.g. pos, pms, booking'));

const event = <T extends string, D extends z.core.$ZodShape>(type: T, description: string, data: D) =>
  z
    .object({ ...envelope, type: z.literal(type), data: z.object({ ...data, balance: balanceSnapshot }) })
    .check(z.describe(description));

export const memberEnrolledEvent = event('member.enrolled', 'A member joined the programme', {
  externalId: z.string().check(z.describe("The member's id in the calling system")),
  tier: z.string(),
  enrolledAt: z
    .optional(z.iso.datetime())
    .check(z.describe('The original enrolment instant, for a member imported from a previous programme')),
});

export const memberUpdatedEvent = event(
  'member.updated',
  'Profile fields changed (names only; read the member for values)',
  {
    changedFields: z.array(z.string()).check(z.minLength(1)),
  },
);

export const memberDeactivatedEvent = event('member.deactivated', 'The member can no longer earn or redeem', {
  reason: z.optional(z.string()),
});

export const memberReactivatedEvent = event('member.reactivated', 'A deactivated member is active again', {});

export const memberErasedEvent = event(
  'member.erased',
  'Personal data was erased on request; remaining points were forfeited',
  {
    forfeitedPoints: z.number().check(z.int(), z.gte(0)),
    cancelledPendingPoints: z.number().check(z.int(), z.gte(0)),
  },
);

/**
 * The facts of the business transaction an earning came from, as the calling system posted them:
 * what data teams join on (revenue per point, earnings by category or channel). Amounts only, no
 * customer data; the transaction id stays beside it in `transactionId`.
 */
export const earnedOnTransaction = z
  .object({
    type: z.enum(TRANSACTION_TYPES),
    amount: z.number().check(z.positive(), z.describe('Total amount in major units (e.g. 19.99)')),
    currency: z.string().check(z.describe('ISO 4217 code')),
    category: z.optional(z.string()),
    channel: z.optional(z.string()).check(z.describe('e.g. store, web, app')),
    occurredAt: z
      .optional(z.iso.datetime())
      .check(z.describe('When the transaction happened, as the calling system said')),
    lines: z
      .optional(
        z.array(
          z.object({ sku: z.optional(z.string()), category: z.string(), amount: z.number().check(z.positive()) }),
        ),
      )
      .check(z.describe('The lines, when the transaction was posted with them')),
  })
  .check(z.describe('The business transaction the points were earned on (earnings on a transaction only)'));

/**
 * One step of the earning rules that gave the points, as the transaction preview shows it.
 * `points` is the running total after the step, before the final rounding down (fractional).
 */
export const appliedEarningRule = z.object({
  kind: z
    .enum(['base', 'multiplier', 'promotion', 'cap', 'excluded'])
    .check(z.describe('base: the currency rate; multiplier: a rule; promotion; cap; excluded: earned nothing')),
  name: z.optional(z.string()).check(z.describe('The multiplier rule’s or promotion’s name')),
  promotionId: z.optional(z.string()),
  multiplier: z.optional(z.number()),
  bonusPoints: z.optional(z.number().check(z.int())),
  pointsPerUnit: z.optional(z.number()).check(z.describe('base: the rate of the currency')),
  eligibleAmount: z.optional(z.number()).check(z.describe('base: the amount that earned, excluded lines left out')),
  cap: z.optional(z.enum(['perTransaction', 'perPeriod', 'safeInteger'])),
  maxPoints: z.optional(z.number().check(z.int())).check(z.describe('cap: the points it allowed')),
  reason: z.optional(z.enum(['currency', 'category'])).check(z.describe('excluded: why nothing was earned')),
  category: z.optional(z.string()).check(z.describe('excluded: the category left out')),
  line: z.optional(z.number().check(z.int(), z.gte(0))).check(z.describe('excluded: the 0-based line left out')),
  points: z.number().check(z.describe('Running total after this step, before rounding down')),
});
export type AppliedEarningRule = z.infer<typeof appliedEarningRule>;
export type EarnedOnTransaction = z.infer<typeof earnedOnTransaction>;

export const pointsEarnedEvent = event('points.earned', 'Points were credited, available now or held as pending', {
  entryId,
  amountPoints: z.number().check(z.int(), z.positive()),
  reason,
  source,
  transactionId: z.optional(z.string()).check(z.describe('The business transaction the points were earned on')),
  transaction: z.optional(earnedOnTransaction),
  rules: z
    .optional(z.array(appliedEarningRule))
    .check(z.describe('The earning rules that applied, in order (earnings on a transaction only)')),
  campaignId: z.optional(z.string()).check(z.describe('The campaign whose budget funds these points')),
  expiresAt: z.nullable(z.iso.datetime()),
  pending: z.boolean().check(z.describe('True when the points are held until activatesAt')),
  activatesAt: z.optional(z.iso.datetime()),
});

export const pointsActivatedEvent = event('points.activated', 'Held points became available', {
  entryId,
  earnEntryId: z.string().check(z.describe('The earning whose hold ended')),
  amountPoints: z.number().check(z.int(), z.positive()),
  expiresAt: z.nullable(z.iso.datetime()),
});

export const pointsRedeemedEvent = event('points.redeemed', 'Points were spent, soonest-expiring first', {
  entryId,
  amountPoints: z.number().check(z.int(), z.positive()),
  reason,
  source,
  lots: z.array(pointLot).check(z.describe('The lots the points came from')),
  rewardId: z.optional(z.string()).check(z.describe('The reward the points paid for')),
  redemptionId: z.optional(z.string()).check(z.describe('The reward redemption (see reward.redeemed)')),
});

export const pointsAdjustedEvent = event('points.adjusted', 'An administrator corrected the balance', {
  entryId,
  amountPoints: z.number().check(z.int(), z.describe('Signed: positive credits, negative debits')),
  reason,
  lots: z.array(pointLot),
});

export const pointsReversedEvent = event('points.reversed', 'An earlier entry was reversed in whole or in part', {
  entryId,
  reversedEntryId: z.string(),
  reversedType: z.enum(['earn', 'redeem', 'adjust']),
  effect: z
    .enum(['clawback', 'refund', 'pending_cancelled'])
    .check(
      z.describe(
        'clawback: earned points taken back; refund: spent points restored with their original expiry; ' +
          'pending_cancelled: held points cancelled',
      ),
    ),
  amountPoints: z.number().check(z.int(), z.positive(), z.describe('Points reversed by this entry')),
  reason,
  lots: z.array(pointLot),
});

export const pointsExpiredEvent = event('points.expired', 'Lots reached their expiry', {
  entryId,
  amountPoints: z.number().check(z.int(), z.positive()),
  lots: z.array(pointLot),
});

export const pointsExpiringSoonEvent = event('points.expiring_soon', 'Points will expire soon (sent once per lot)', {
  amountPoints: z.number().check(z.int(), z.positive()),
  expiresAt: z.iso.datetime(),
});

const tierChange = {
  fromTier: z.string(),
  toTier: z.string(),
  benefits: z
    .object({ earnMultiplier: z.optional(z.number()), perks: z.optional(z.array(z.string())) })
    .check(z.describe('The benefits of the new tier')),
  reviewAt: z
    .nullable(z.iso.datetime())
    .check(z.describe('When the member is next reviewed for this tier; null on the lowest tier')),
};

export const tierPromotedEvent = event(
  'tier.promoted',
  'The member reached a higher tier (at once, on qualifying points)',
  tierChange,
);

export const tierDemotedEvent = event(
  'tier.demoted',
  'The member fell to a lower tier at the end of the tier period and grace',
  tierChange,
);

export const offerViewedEvent = event('offer.viewed', 'The member saw an offer (recorded by the calling app)', {
  offerId: z.string(),
  channel: z.optional(z.string()).check(z.describe('Where it was seen, e.g. app, web, kiosk')),
});

export const offerActivatedEvent = event(
  'offer.activated',
  'The member activated an offer, within its per-member limit',
  {
    offerId: z.string(),
    activationCount: z
      .number()
      .check(z.int(), z.positive(), z.describe('Activations of this offer by the member, this one included')),
  },
);

const redemptionId = z.string().check(z.describe('The reward redemption, rdm_…'));

/**
 * What data teams need about the reward a redemption was for: its worth in money and its category
 * (redemption rates by category, revenue per point) and how it is fulfilled. As the reward was
 * defined at redemption time; optional because rewards need not define them, and redemptions made
 * before they were recorded carry none.
 */
const rewardFacts = {
  rewardValue: z
    .optional(z.object({ amount: z.number().check(z.describe('In major units (e.g. 25.00)')), currency: z.string() }))
    .check(z.describe('The reward’s monetary value, when the reward defines one')),
  rewardCategory: z.optional(z.string()).check(z.describe('The reward’s category, when the reward defines one')),
  fulfilment: z
    .optional(z.enum(['voucher', 'manual']))
    .check(z.describe('voucher: a code issued at once; manual: the tenant fulfils it')),
};

export const rewardRedeemedEvent = event(
  'reward.redeemed',
  'The member redeemed a reward: points burnt, stock taken, voucher issued, in one commit',
  {
    redemptionId,
    rewardId: z.string(),
    rewardName: z.string(),
    pointsCost: z.number().check(z.int(), z.positive()),
    status: z
      .enum(['pending', 'fulfilled'])
      .check(z.describe('fulfilled: a voucher was issued at once; pending: the tenant fulfils it later')),
    voucherCode: z.optional(z.string()).check(z.describe('The voucher code issued (voucher rewards)')),
    ...rewardFacts,
    campaignId: z.optional(z.string()).check(z.describe('The campaign whose budget funds the reward')),
  },
);

export const rewardFulfilledEvent = event('reward.fulfilled', 'The tenant fulfilled a pending redemption', {
  redemptionId,
  rewardId: z.string(),
  reference: z.optional(z.string()).check(z.describe('The tenant’s fulfilment reference, e.g. a shipment id')),
  pointsCost: z.optional(z.number().check(z.int(), z.positive())).check(z.describe('Points the redemption burnt')),
  ...rewardFacts,
});

export const rewardCancelledEvent = event(
  'reward.cancelled',
  'A redemption was cancelled and its points refunded with their original expiry',
  {
    redemptionId,
    rewardId: z.string(),
    refundedPoints: z.number().check(z.int(), z.positive()),
    restocked: z.boolean().check(z.describe('True when the unit went back to stock (it was still pending)')),
    reason,
    pointsCost: z.optional(z.number().check(z.int(), z.positive())).check(z.describe('Points the redemption burnt')),
    ...rewardFacts,
  },
);

/**
 * An opening balance loaded by an import (historical loads for onboarding): the balance a previous programme held at
 * `asOf`, credited as lots with their own expiry. Its own type, so consumers never count it as live earning
 * (`points.earned`); imported history lines announce nothing (they do not move the balance, and thousands of them
 * must not flood webhooks).
 */
export const memberImportedEvent = event(
  'member.imported',
  'An opening balance from a previous programme was loaded by an import (not live earning)',
  {
    entryId,
    asOf: z.iso.datetime().check(z.describe('When the previous programme held this balance')),
    amountPoints: z
      .number()
      .check(z.int(), z.gte(0), z.describe('Points credited: the lots that had not expired when it was loaded')),
    lots: z.array(pointLot).check(z.describe('The lots credited, with their expiry')),
    expiredPoints: z
      .number()
      .check(z.int(), z.gte(0), z.describe('Points of lots already expired when it was loaded: not credited')),
    lifetimePoints: z.number().check(z.int(), z.gte(0), z.describe('Lifetime points carried over')),
    qualifyingPoints: z
      .number()
      .check(z.int(), z.gte(0), z.describe('Qualifying points carried over, counted at asOf in the tier window')),
    tier: z.optional(z.string()).check(z.describe('The tier carried over, when the import named one')),
    importId: z.optional(z.string()).check(z.describe('The import job that loaded it')),
  },
);

/**
 * Operational events are about an endpoint, not a member: their envelope names the endpoint
 * (`endpointId`) instead of a member, and `seq` counts that endpoint's events.
 */
export const endpointDisabledEvent = z
  .object({
    id: envelope.id,
    version: envelope.version,
    tenantId: envelope.tenantId,
    endpointId: z.string().check(z.describe('The webhook endpoint this event is about')),
    seq: z
      .number()
      .check(
        z.int(),
        z.positive(),
        z.describe('Per-endpoint sequence number of operational events, gap-free, starting at 1'),
      ),
    occurredAt: envelope.occurredAt,
    correlationId: envelope.correlationId,
    type: z.literal('endpoint.disabled'),
    data: z.object({
      url: z.string(),
      reason: z
        .enum(['gone', 'failing'])
        .check(z.describe('gone: the endpoint answered 410; failing: no success for longer than the platform allows')),
      failingSince: z.optional(z.iso.datetime()).check(z.describe('The first failure since the last success')),
      lastStatus: z.optional(z.number().check(z.int())).check(z.describe('HTTP status of the last attempt')),
      lastError: z.optional(z.string()).check(z.describe('Why the last attempt failed when there was no status')),
    }),
  })
  .check(
    z.describe('The platform disabled a webhook endpoint; its undelivered messages wait as dead letters for a redrive'),
  );

/**
 * Webhook notices are about a tenant's endpoint and written for the tenant's other endpoints (a chat channel above
 * all): the endpoint they are about never receives them. No member and no `seq` (they sort by `occurredAt`).
 */
const webhookNotice = <T extends `webhook.${string}`, D extends z.core.$ZodShape>(
  type: T,
  description: string,
  data: D,
) =>
  z
    .object({
      id: envelope.id,
      version: envelope.version,
      tenantId: envelope.tenantId,
      occurredAt: envelope.occurredAt.check(z.describe('When it happened (UTC, ISO 8601)')),
      correlationId: envelope.correlationId,
      type: z.literal(type),
      data: z.object({
        subscriptionId: z.string().check(z.describe('The webhook endpoint this notice is about')),
        ...data,
      }),
    })
    .check(z.describe(description));

export const webhookEndpointDisabledEvent = webhookNotice(
  'webhook.endpoint.disabled',
  'The platform disabled one of the tenant’s webhook endpoints (sent to the tenant’s other endpoints)',
  {
    reason: z
      .enum(['gone', 'failing'])
      .check(z.describe('gone: the endpoint answered 410; failing: no success for longer than the platform allows')),
    disabledAt: z.iso.datetime(),
  },
);

export const webhookDeadLettersGrowingEvent = webhookNotice(
  'webhook.dead_letters.growing',
  'An endpoint’s dead letters crossed a threshold (10, 100, 1,000…): they wait for a redrive',
  { deadLetters: z.number().check(z.int(), z.positive(), z.describe('Dead letters the endpoint holds now')) },
);

/**
 * Batch notices are about a batch of commands a tenant submitted (`POST /v1/batches`), not a member: no member and
 * no `seq` (they sort by `occurredAt`). Written once, when the batch's last command has its result.
 */
export const batchCompletedEvent = z
  .object({
    id: envelope.id,
    version: envelope.version,
    tenantId: envelope.tenantId,
    occurredAt: envelope.occurredAt.check(z.describe('When the last command got its result (UTC, ISO 8601)')),
    correlationId: envelope.correlationId,
    type: z.literal('batch.completed'),
    data: z.object({
      batchId: z.string().check(z.describe('The batch; its results are at GET /v1/batches/{batchId}')),
      total: z.number().check(z.int(), z.positive(), z.describe('Commands in the batch')),
      succeeded: z.number().check(z.int(), z.gte(0), z.describe('Commands answered 2xx')),
      failed: z
        .number()
        .check(z.int(), z.gte(0), z.describe('Commands refused (4xx: validation or a business rule), never retried')),
      createdAt: z.iso.datetime().check(z.describe('When the batch was accepted')),
    }),
  })
  .check(z.describe('Every command of a batch has its result (read them at GET /v1/batches/{batchId})'));

/**
 * Audit events are about a tenant, not a member: every admin and security action (tenant changes,
 * credential lifecycle, webhook endpoints and their secrets, programme changes, manual point
 * adjustments). Their envelope names no member and has no `seq` (they sort by `occurredAt`, then
 * `id`); it names who acted (`actor`: credential ids, never secrets) and `data` names the subject and
 * what changed by field name only, never values (data minimisation).
 */
export const auditActor = z
  .object({
    kind: z
      .enum(['operator', 'tenant'])
      .check(z.describe('operator: the platform team; tenant: a credential of the tenant')),
    credentialId: z.string().check(z.describe('The acting API key or OAuth client id (never a secret)')),
  })
  .check(z.describe('Who acted'));

export const AUDIT_SUBJECTS = [
  'tenant',
  'api_key',
  'oauth_client',
  'webhook_endpoint',
  'programme',
  'member',
  'event_consumer',
  'export',
  'backfill',
  'inbound_queue',
] as const;
export type AuditSubjectType = (typeof AUDIT_SUBJECTS)[number];

const changedFields = z
  .array(z.string())
  .check(z.minLength(1), z.describe('Names of the fields that changed (never their values)'));
const overlapEndsAt = z.iso.datetime().check(z.describe('Until when the previous secret or key keeps working'));
const grantedScopes = z.array(z.string()).check(z.describe('Scopes granted to the credential'));

const audit = <T extends `audit.${string}`, S extends AuditSubjectType, D extends z.core.$ZodShape>(
  type: T,
  subject: S,
  description: string,
  data: D,
) =>
  z
    .object({
      id: envelope.id,
      version: envelope.version,
      tenantId: envelope.tenantId.check(z.describe('The tenant the action was about')),
      occurredAt: z.iso.datetime().check(z.describe('When the action took effect (UTC, ISO 8601)')),
      correlationId: envelope.correlationId,
      type: z.literal(type),
      actor: auditActor,
      data: z.object({
        subject: z
          .object({
            type: z.literal(subject),
            id: z.string().check(z.describe(`The ${subject.replace('_', ' ')} acted on`)),
          })
          .check(z.describe('What the action was about')),
        ...data,
      }),
    })
    .check(z.describe(description));

export const auditTenantCreatedEvent = audit('audit.tenant.created', 'tenant', 'An operator created the tenant', {});
export const auditTenantUpdatedEvent = audit(
  'audit.tenant.updated',
  'tenant',
  'An operator changed the tenant (name or limits)',
  { changedFields },
);
export const auditTenantSuspendedEvent = audit(
  'audit.tenant.suspended',
  'tenant',
  'An operator suspended the tenant: its calls are refused and its webhooks paused',
  {},
);
export const auditTenantReactivatedEvent = audit(
  'audit.tenant.reactivated',
  'tenant',
  'An operator reactivated a suspended tenant',
  {},
);
export const auditApiKeyCreatedEvent = audit('audit.api_key.created', 'api_key', 'An API key was issued', {
  scopes: grantedScopes,
  expiresAt: z.optional(z.iso.datetime()).check(z.describe('When the key stops working; absent: never')),
});
export const auditApiKeyRotatedEvent = audit(
  'audit.api_key.rotated',
  'api_key',
  'An API key was replaced by a new one; the old one works until the overlap ends',
  { newCredentialId: z.string().check(z.describe('The key that replaces it')), overlapEndsAt },
);
export const auditApiKeyRevokedEvent = audit('audit.api_key.revoked', 'api_key', 'An API key was revoked', {});
export const auditOAuthClientCreatedEvent = audit(
  'audit.oauth_client.created',
  'oauth_client',
  'An OAuth client was created',
  { scopes: grantedScopes },
);
export const auditOAuthClientSecretRotatedEvent = audit(
  'audit.oauth_client.secret_rotated',
  'oauth_client',
  'An OAuth client got a new secret',
  { overlapEndsAt: z.optional(overlapEndsAt) },
);
export const auditOAuthClientRevokedEvent = audit(
  'audit.oauth_client.revoked',
  'oauth_client',
  'An OAuth client was revoked: it gets no more tokens',
  {},
);
export const auditWebhookEndpointCreatedEvent = audit(
  'audit.webhook_endpoint.created',
  'webhook_endpoint',
  'A webhook endpoint was registered',
  { eventTypes: z.array(z.string()).check(z.describe('The event types it subscribes to')) },
);
export const auditWebhookEndpointUpdatedEvent = audit(
  'audit.webhook_endpoint.updated',
  'webhook_endpoint',
  'A webhook endpoint was changed (URL, event types, enabled, payload, fields, rate, digest)',
  { changedFields },
);
export const auditWebhookEndpointDeletedEvent = audit(
  'audit.webhook_endpoint.deleted',
  'webhook_endpoint',
  'A webhook endpoint was deleted',
  {},
);
export const auditWebhookEndpointSecretRotatedEvent = audit(
  'audit.webhook_endpoint.secret_rotated',
  'webhook_endpoint',
  'A webhook endpoint got a new signing secret; the previous one signs beside it until the overlap ends',
  { overlapEndsAt },
);
export const auditProgrammeUpdatedEvent = audit(
  'audit.programme.updated',
  'programme',
  'The programme settings were replaced',
  {
    programmeVersion: z.number().check(z.int(), z.positive(), z.describe('The version the change made')),
    changedFields: z.array(z.string()).check(z.describe('Top-level settings that differ from the previous version')),
  },
);
export const auditPointsAdjustedEvent = audit(
  'audit.points.adjusted',
  'member',
  'A manual point adjustment was made (the member’s points.adjusted event carries the ledger detail)',
  {
    entryId: z.string().check(z.describe('The adjustment’s ledger entry')),
    amountPoints: z.number().check(z.int(), z.describe('Signed: positive credits, negative debits')),
  },
);

export const auditLakeSettingsUpdatedEvent = audit(
  'audit.lake.settings_updated',
  'tenant',
  'The lake settings (field allowlists, pseudonymisation) were replaced',
  { changedFields: z.array(z.string()).check(z.describe('Settings that differ from the previous ones')) },
);
export const auditLakePseudonymKeyRevealedEvent = audit(
  'audit.lake.pseudonym_key_revealed',
  'tenant',
  'The key that re-identifies pseudonymised member ids was handed out',
  {},
);
export const auditEventConsumerCreatedEvent = audit(
  'audit.event_consumer.created',
  'event_consumer',
  'A named event feed consumer was created (its type filter and minimisation)',
  { types: z.array(z.string()).check(z.describe('The event types or wildcards it reads')) },
);
export const auditEventConsumerUpdatedEvent = audit(
  'audit.event_consumer.updated',
  'event_consumer',
  'A named event feed consumer was changed (name, type filter, field allowlists, pseudonymisation)',
  { changedFields },
);
export const auditEventConsumerDeletedEvent = audit(
  'audit.event_consumer.deleted',
  'event_consumer',
  'A named event feed consumer was deleted with its committed position',
  {},
);
export const auditExportCreatedEvent = audit(
  'audit.export.created',
  'export',
  'A scheduled export was defined (a dataset written to the lake on a cadence)',
  {
    dataset: z.enum(EXPORT_DATASETS).check(z.describe('What the export writes')),
    cadence: exportCadence,
  },
);
export const auditExportUpdatedEvent = audit(
  'audit.export.updated',
  'export',
  'A scheduled export was changed (cadence, enabled)',
  { changedFields },
);
export const auditExportDeletedEvent = audit(
  'audit.export.deleted',
  'export',
  'A scheduled export was deleted (files already written stay)',
  {},
);
export const auditBackfillRequestedEvent = audit(
  'audit.backfill.requested',
  'backfill',
  'A backfill of a time range of the tenant’s events to its lake was requested (by the tenant or an operator)',
  {
    from: z.iso.datetime().check(z.describe('Start of the range')),
    to: z.iso.datetime().check(z.describe('End of the range')),
    targets: z.array(z.string()).check(z.describe('Where the events are re-sent')),
    ratePerSecond: z.number().check(z.int(), z.describe('Events sent per second at most')),
  },
);
export const auditBackfillCancelledEvent = audit(
  'audit.backfill.cancelled',
  'backfill',
  'A backfill was cancelled; what it sent stays sent',
  { eventsSent: z.number().check(z.int(), z.describe('Events it had sent when it stopped')) },
);
export const auditInboundQueueCreatedEvent = audit(
  'audit.inbound_queue.created',
  'inbound_queue',
  'An operator created the tenant’s inbound queue (an SQS FIFO queue its AWS account may send batches to)',
  {
    accountId: z.string().check(z.describe('The AWS account allowed to send')),
    scopes: grantedScopes,
  },
);
export const auditInboundQueueRemovedEvent = audit(
  'audit.inbound_queue.removed',
  'inbound_queue',
  'An operator removed the tenant’s inbound queue, its dead-letter queue and its mapping',
  {},
);

const auditEvents = [
  auditTenantCreatedEvent,
  auditTenantUpdatedEvent,
  auditTenantSuspendedEvent,
  auditTenantReactivatedEvent,
  auditApiKeyCreatedEvent,
  auditApiKeyRotatedEvent,
  auditApiKeyRevokedEvent,
  auditOAuthClientCreatedEvent,
  auditOAuthClientSecretRotatedEvent,
  auditOAuthClientRevokedEvent,
  auditWebhookEndpointCreatedEvent,
  auditWebhookEndpointUpdatedEvent,
  auditWebhookEndpointDeletedEvent,
  auditWebhookEndpointSecretRotatedEvent,
  auditProgrammeUpdatedEvent,
  auditPointsAdjustedEvent,
  auditLakeSettingsUpdatedEvent,
  auditLakePseudonymKeyRevealedEvent,
  auditEventConsumerCreatedEvent,
  auditEventConsumerUpdatedEvent,
  auditEventConsumerDeletedEvent,
  auditExportCreatedEvent,
  auditExportUpdatedEvent,
  auditExportDeletedEvent,
  auditBackfillRequestedEvent,
  auditBackfillCancelledEvent,
  auditInboundQueueCreatedEvent,
  auditInboundQueueRemovedEvent,
] as const;

/**
 * Platform events are about the platform itself (a maintenance window), sent to every active tenant: their envelope
 * names neither a member nor an endpoint and has no `seq` (they sort by `occurredAt`, then `id`). The id is the same
 * for the same window, notice and tenant, so a notice is never sent twice.
 */
export const MAINTENANCE_IMPACTS = ['none', 'degraded', 'unavailable'] as const;

const maintenanceData = {
  maintenanceId: z.string().check(z.describe('The maintenance window')),
  summary: z.string().check(z.describe('One line on what is done')),
  description: z.optional(z.string()).check(z.describe('What changes and what to expect')),
  impact: z
    .enum(MAINTENANCE_IMPACTS)
    .check(z.describe('none: no visible effect; degraded: slower or partial; unavailable: the API refuses calls')),
  startsAt: z.iso.datetime().check(z.describe('Start of the window')),
  endsAt: z.iso.datetime().check(z.describe('End of the window')),
  status: z
    .enum(['scheduled', 'in_progress', 'completed', 'cancelled'])
    .check(z.describe('Where the window stands with this notice')),
};

const platformMaintenance = <P extends string>(phase: P, description: string) =>
  z
    .object({
      id: envelope.id,
      version: envelope.version,
      tenantId: envelope.tenantId,
      occurredAt: z.iso.datetime().check(z.describe('When the notice was sent (UTC, ISO 8601)')),
      correlationId: envelope.correlationId,
      type: z.literal(`platform.maintenance.${phase}` as const),
      data: z.object(maintenanceData),
    })
    .check(z.describe(description));

export const platformMaintenanceEvents = {
  scheduled: platformMaintenance(
    'scheduled',
    'The platform team scheduled a maintenance window (sent its lead time ahead, or at once inside it)',
  ),
  started: platformMaintenance('started', 'A maintenance window began'),
  completed: platformMaintenance('completed', 'A maintenance window ended'),
  cancelled: platformMaintenance('cancelled', 'An announced maintenance window was called off before it began'),
} as const;
export type MaintenanceEvent = z.infer<(typeof platformMaintenanceEvents)[keyof typeof platformMaintenanceEvents]>;

export const loyaltyEvent = z.discriminatedUnion('type', [
  memberEnrolledEvent,
  memberUpdatedEvent,
  memberDeactivatedEvent,
  memberReactivatedEvent,
  memberErasedEvent,
  pointsEarnedEvent,
  pointsActivatedEvent,
  pointsRedeemedEvent,
  pointsAdjustedEvent,
  pointsReversedEvent,
  pointsExpiredEvent,
  pointsExpiringSoonEvent,
  tierPromotedEvent,
  tierDemotedEvent,
  offerViewedEvent,
  offerActivatedEvent,
  rewardRedeemedEvent,
  rewardFulfilledEvent,
  rewardCancelledEvent,
  endpointDisabledEvent,
  ...auditEvents,
  platformMaintenanceEvents.scheduled,
  platformMaintenanceEvents.started,
  platformMaintenanceEvents.completed,
  platformMaintenanceEvents.cancelled,
  webhookEndpointDisabledEvent,
  webhookDeadLettersGrowingEvent,
  batchCompletedEvent,
  memberImportedEvent,
]);
export type LoyaltyEvent = z.infer<typeof loyaltyEvent>;
export type EventType = LoyaltyEvent['type'];
export type EventOf<T extends EventType> = Extract<LoyaltyEvent, { type: T }>;
/** Events of a member's ledger (everything but the operational and audit events). */
export type MemberEvent = Extract<LoyaltyEvent, { memberId: string }>;
/** Audit events: who did what to the tenant's set-up, credentials, programme or points. */
export type AuditEvent = Extract<LoyaltyEvent, { actor: unknown }>;
export type AuditEventType = AuditEvent['type'];
export const AUDIT_EVENT_SCHEMAS = Object.fromEntries(
  auditEvents.map((schema) => [z.literalValue(schema.shape.type), schema]),
) as unknown as { [T in AuditEventType]: z.ZodMiniType<Extract<AuditEvent, { type: T }>> };
/** The kind of subject each audit event is about. */
export const AUDIT_SUBJECT_TYPES = Object.fromEntries(
  auditEvents.map((schema) => [
    z.literalValue(schema.shape.type),
    z.literalValue(schema.shape.data.shape.subject.shape.type),
  ]),
) as Record<AuditEventType, AuditSubjectType>;
export const EVENT_TYPES = loyaltyEvent.def.options.map<EventType>((option) => z.literalValue(option.shape.type));

/**
 * Defence in depth behind the API's input checks: an event is what webhooks, the feed and the lake
 * files carry, and one lone surrogate in it makes strict JSON readers reject a whole lake file. So
 * an event whose text is not well-formed Unicode is never built, even if a schema forgot a field:
 * the change is refused as invalid input and nothing is written.
 */
export function assertWellFormedEvent(event: LoyaltyEvent): void {
  const paths = illFormedPaths(event);
  if (paths.length === 0) return;
  throw new Problem('validation_failed', `The ${event.type} event would carry text that ${NOT_WELL_FORMED}`, {
    errors: paths.map((path) => ({ path: `event.${path}`, message: NOT_WELL_FORMED })),
  });
}
