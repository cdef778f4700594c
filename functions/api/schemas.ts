import * as z from '../shared/zod';
import { balanceSnapshot, pointLot } from '../domain/events';
import { voucherCode } from '../domain/rewards';
import { ENDPOINT_TYPES } from '../domain/webhooks/endpoint-types';
import {
  CALLBACK_REASON_CODES,
  callbackAuth,
  callbackAuthView,
  callbackHeaders,
  callbackTemplate,
  type CallbackReasonCode,
} from './callback-schemas';
import { DEAD_REASONS } from '../domain/webhooks/message';
import type { GuardCode } from '../domain/webhooks/ssrf-guard';

/** Request and response schemas of the API; the OpenAPI document is generated from them. */
const externalId = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only'));

const profileFields = {
  email: z.email().check(z.maxLength(254)),
  firstName: z.string().check(z.minLength(1), z.maxLength(100)),
  lastName: z.string().check(z.minLength(1), z.maxLength(100)),
  phone: z.string().check(z.regex(/^\+[1-9][0-9]{6,14}$/, 'E.164, e.g. +447700900123')),
  locale: z.string().check(z.regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'a language tag such as en or en-GB')),
  birthDate: z.iso.date(),
  segments: z
    .array(z.string().check(z.regex(/^[a-z0-9_-]{1,40}$/)))
    .check(z.maxLength(20), z.describe('Segments the calling system assigns (offers can target them)')),
};

export const enrolRequest = z.strictObject({
  externalId: externalId.check(z.describe("The member's id in the calling system (unique per tenant)")),
  email: z.optional(profileFields.email),
  firstName: z.optional(profileFields.firstName),
  lastName: z.optional(profileFields.lastName),
  phone: z.optional(profileFields.phone),
  locale: z.optional(profileFields.locale),
  birthDate: z.optional(profileFields.birthDate),
  segments: z.optional(profileFields.segments),
});

export const profilePatchRequest = z
  .strictObject({
    email: z.optional(z.nullable(profileFields.email)),
    firstName: z.optional(z.nullable(profileFields.firstName)),
    lastName: z.optional(z.nullable(profileFields.lastName)),
    phone: z.optional(z.nullable(profileFields.phone)),
    locale: z.optional(z.nullable(profileFields.locale)),
    birthDate: z.optional(z.nullable(profileFields.birthDate)),
    segments: z.optional(z.nullable(profileFields.segments)),
  })
  .check(
    z.refine((patch) => Object.keys(patch).length > 0, 'name at least one field; null removes a field'),
    z.describe('JSON merge patch of the profile: listed fields change, null removes one'),
  );

export const statusRequest = z.strictObject({ reason: z.optional(z.string().check(z.minLength(1), z.maxLength(200))) });

const reason = z.string().check(z.minLength(1), z.maxLength(200));
const source = z.string().check(z.minLength(1), z.maxLength(64), z.describe('Calling system, e.g. pos, pms, booking'));
const points = z.number().check(z.int(), z.gte(1), z.lte(1_000_000_000));

export const earnRequest = z.strictObject({
  amountPoints: points.check(z.describe('Points to credit')),
  reason,
  source: z.optional(source),
  transactionId: z
    .optional(z.string().check(z.minLength(1), z.maxLength(128)))
    .check(z.describe("The calling system's reference")),
  holdDays: z
    .optional(z.number().check(z.int(), z.gte(0), z.lte(365)))
    .check(z.describe("Hold as pending for this many days (default: the programme's holdDays)")),
  expiresAt: z
    .optional(z.nullable(z.iso.datetime()))
    .check(z.describe("Expiry of these points (default: the programme's policy); null never")),
  campaignId: z
    .optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)))
    .check(
      z.describe(
        'A campaign whose budget funds these points; refused when the budget cannot (campaign_budget_exhausted)',
      ),
    ),
});

export const redeemRequest = z.strictObject({
  amountPoints: points.check(z.describe('Points to spend')),
  reason,
  source: z.optional(source),
});

export const adjustRequest = z.strictObject({
  amountPoints: z.number().check(
    z.int(),
    z.gte(-1_000_000_000),
    z.lte(1_000_000_000),
    z.refine((n) => n !== 0, 'must not be 0'),
    z.describe('Signed: positive credits, negative debits (never below zero)'),
  ),
  reason: z.string().check(z.minLength(3), z.maxLength(200), z.describe('Mandatory: why the balance is corrected')),
  expiresAt: z.optional(z.nullable(z.iso.datetime())),
});

export const reverseRequest = z.strictObject({
  amountPoints: z.optional(points).check(z.describe('Points to reverse; the whole remainder of the entry when absent')),
  reason,
});

export const listQuery = {
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 25),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
};

export const memberListQuery = z.strictObject({
  ...listQuery,
  status: z.optional(z.enum(['active', 'inactive', 'erased'])),
});

export const ENTRY_TYPES = [
  'earn',
  'activate',
  'redeem',
  'adjust',
  'reverse',
  'expire',
  'forfeit',
  'opening_balance',
] as const;

export const entryListQuery = z.strictObject({
  ...listQuery,
  type: z
    .optional(
      z.pipe(
        z.pipe(
          z.string(),
          z.transform((value) => value.split(',')),
        ),
        z.array(z.enum(ENTRY_TYPES)).check(z.minLength(1)),
      ),
    )
    .check(z.describe('Comma-separated entry types')),
  from: z.optional(z.iso.datetime()),
  to: z.optional(z.iso.datetime()),
  order: z._default(z.enum(['asc', 'desc']), 'desc'),
});

export const balanceQuery = z.strictObject({
  asOf: z.optional(z.iso.datetime()).check(z.describe('Read the balance as it stood at this instant')),
});

const memberStatus = z.enum(['active', 'inactive', 'erased']);

export const memberResponse = z.object({
  memberId: z.string(),
  externalId: z.string().check(z.describe('Empty once the member is erased')),
  email: z.optional(z.string()),
  firstName: z.optional(z.string()),
  lastName: z.optional(z.string()),
  phone: z.optional(z.string()),
  locale: z.optional(z.string()),
  birthDate: z.optional(z.string()),
  segments: z.optional(z.array(z.string())),
  status: memberStatus,
  tier: z.string(),
  createdAt: z.string(),
  enrolledAt: z
    .optional(z.string())
    .check(z.describe('The original enrolment instant, for a member imported from a previous programme')),
  updatedAt: z.optional(z.string()),
  erasedAt: z.optional(z.string()),
});

const page = <T extends z.ZodMiniType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.optional(z.string()).check(z.describe('Pass as `cursor` for the next page; absent on the last page')),
  });

export const memberListResponse = page(memberResponse);

/** The snapshot's fields without its description (which speaks of an event): `z.extend` would carry it over. */
export const balanceResponse = z.object({
  ...balanceSnapshot.shape,
  memberId: z.string(),
  status: memberStatus,
  expiringSoonPoints: z.number().check(z.int(), z.describe("Points expiring within the programme's notice period")),
  nextExpiry: z.nullable(z.object({ expiresAt: z.string(), points: z.number().check(z.int()) })),
  lots: z.array(pointLot).check(z.describe('Available points by expiry, soonest first')),
  pending: z.array(z.object({ entryId: z.string(), points: z.number().check(z.int()), activatesAt: z.string() })),
  seq: z.number().check(z.int()),
  updatedAt: z.string(),
});

export const balanceAsOfResponse = z.object({
  memberId: z.string(),
  asOf: z.string(),
  availablePoints: z.number().check(z.int()),
  pendingPoints: z.number().check(z.int()),
  lifetimePoints: z.number().check(z.int()),
  lastEntryId: z.nullable(z.string()).check(z.describe('The last entry committed by then')),
});

export const ledgerEntryResponse = z.object({
  entryId: z.string(),
  memberId: z.string(),
  seq: z.number().check(z.int()),
  type: z.enum(ENTRY_TYPES),
  amountPoints: z.number().check(z.int(), z.describe('Signed change of available points')),
  pendingPoints: z.number().check(z.int(), z.describe('Signed change of pending points')),
  availableAfter: z.number().check(z.int()),
  pendingAfter: z.number().check(z.int()),
  lifetimeAfter: z.number().check(z.int()),
  reason: z.string(),
  source: z.optional(z.string()),
  transactionId: z.optional(z.string()),
  lots: z.array(pointLot),
  activatesAt: z.optional(z.string()),
  relatedEntryId: z.optional(z.string()),
  redemptionId: z.optional(z.string()).check(z.describe('The reward redemption this entry paid for')),
  rewardId: z.optional(z.string()),
  campaign: z
    .optional(z.object({ campaignId: z.string(), shard: z.number().check(z.int()) }))
    .check(z.describe('The campaign budget that funded this earning')),
  idempotencyKey: z.optional(z.string()),
  asOf: z.optional(z.string()).check(z.describe('An opening balance: when the previous programme held it')),
  expiredLots: z
    .optional(z.array(pointLot))
    .check(z.describe('An opening balance: lots already expired when it was loaded, never credited')),
  createdAt: z.string(),
});

export const entryListResponse = page(ledgerEntryResponse);

export const pointsResponse = z.object({ entry: ledgerEntryResponse, balance: balanceResponse, eventId: z.string() });

export const eventTypePattern = z
  .string()
  .check(z.regex(/^(\*|[a-z]+(\.[a-z_]+)*(\.\*)?)$/, 'an event type, a `prefix.*` wildcard or `*`'));

const endpointFields = {
  url: z.url().check(z.maxLength(2048)),
  description: z.string().check(z.maxLength(200)),
  eventTypes: z
    .array(eventTypePattern)
    .check(
      z.minLength(1),
      z.maxLength(50),
      z.describe('Event types, `prefix.*` wildcards or `*` (every type but `audit.*`, which is subscribed to by name)'),
    ),
  payload: z
    .enum(['full', 'thin'])
    .check(z.describe('full: the whole event; thin: the envelope and the ids in data only (data minimisation)')),
  fields: z
    .array(z.string().check(z.regex(/^[A-Za-z]{1,64}$/)))
    .check(
      z.minLength(1),
      z.maxLength(50),
      z.describe(
        'Full mode: the data fields to send; absent sends all. The envelope (id, type, memberId, seq…) is always sent',
      ),
    ),
  rateLimitPerSecond: z
    .number()
    .check(
      z.int(),
      z.gte(1),
      z.lte(200),
      z.describe('At most this many deliveries per second to the endpoint; the rest wait their turn'),
    ),
  digest: z
    .strictObject({
      intervalSeconds: z.number().check(z.int(), z.gte(10), z.lte(3600), z.describe('Window length: 10 s to 1 h')),
    })
    .check(
      z.describe(
        'Digest mode: one `webhook.digest` call per window carrying its events (up to 500 per call), ' +
          'instead of one call per event',
      ),
    ),
};

export const createEndpointRequest = z.strictObject({
  url: endpointFields.url,
  description: z.optional(endpointFields.description),
  eventTypes: z._default(endpointFields.eventTypes, ['*']),
  payload: z._default(endpointFields.payload, 'full'),
  fields: z.optional(endpointFields.fields),
  rateLimitPerSecond: z.optional(endpointFields.rateLimitPerSecond),
  digest: z.optional(endpointFields.digest),
  type: z
    ._default(z.enum(ENDPOINT_TYPES), 'webhook')
    .check(
      z.describe(
        'webhook: signed raw events; slack / teams: an incoming webhook URL of the chat tool, sent readable ' +
          'messages (unsigned: the URL is the secret, masked once registered); callback: authenticated calls ' +
          'in the receiver’s shape (`auth`, `headers`, `template`)',
      ),
    ),
  auth: z.optional(callbackAuth),
  headers: z.optional(callbackHeaders),
  template: z.optional(callbackTemplate),
  ed25519: z
    ._default(z.boolean(), false)
    .check(
      z.describe(
        'Also sign with an ed25519 key (`v1a,` signatures); receivers verify with the public key shown on the endpoint',
      ),
    ),
});

export const updateEndpointRequest = z.strictObject({
  url: z.optional(endpointFields.url),
  description: z.optional(z.nullable(endpointFields.description)),
  eventTypes: z.optional(endpointFields.eventTypes),
  enabled: z.optional(z.boolean()),
  payload: z.optional(endpointFields.payload),
  fields: z.optional(z.nullable(endpointFields.fields)),
  rateLimitPerSecond: z.optional(z.nullable(endpointFields.rateLimitPerSecond)),
  digest: z.optional(z.nullable(endpointFields.digest)),
  auth: z.optional(z.nullable(callbackAuth)),
  headers: z.optional(z.nullable(callbackHeaders)),
  template: z.optional(callbackTemplate),
});

/** How long a rotated secret stays accepted beside its successor: hours, at most a week, a day unless said. */
export const overlapHours = (description: string) =>
  z._default(z.number().check(z.int(), z.gte(0), z.lte(168)), 24).check(z.describe(description));

export const rotateSecretRequest = z.strictObject({
  overlapHours: overlapHours('How long the previous secret keeps signing beside the new one'),
});

export const endpointResponse = z.object({
  subscriptionId: z.string(),
  type: z.enum(ENDPOINT_TYPES),
  url: z.string().check(z.describe('The URL; a chat endpoint shows only its scheme and host (its path is the secret)')),
  description: z.optional(z.string()),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  payload: z.enum(['full', 'thin']),
  fields: z.optional(z.array(z.string())),
  rateLimitPerSecond: z.optional(z.number().check(z.int())),
  digest: z.optional(z.object({ intervalSeconds: z.number().check(z.int()) })),
  disabledReason: z
    .optional(z.enum(['gone', 'failing']))
    .check(z.describe('Why the platform disabled the endpoint: it answered 410, or failed for too long')),
  disabledAt: z.optional(z.string()),
  publicKeys: z
    .optional(z.array(z.string()))
    .check(z.describe('ed25519 public keys (whpk_…) that verify `v1a,` signatures, newest first')),
  health: z
    .optional(
      z.object({
        state: z
          .enum(['closed', 'open', 'halfOpen'])
          .check(
            z.describe('The circuit breaker: open means deliveries wait (nothing is dropped) until a probe succeeds'),
          ),
        consecutiveFailures: z.number().check(z.int()),
        failingSince: z.optional(z.string()),
        openUntil: z.optional(z.string()),
        pauseUntil: z
          .optional(z.string())
          .check(z.describe('The endpoint asked for a pause (429/503 with Retry-After)')),
        lastStatus: z.optional(z.nullable(z.number().check(z.int()))),
        lastError: z.optional(z.nullable(z.string())),
      }),
    )
    .check(z.describe('Delivery health (single endpoint reads only)')),
  secretsRetireAt: z
    .optional(z.string())
    .check(z.describe('During a rotation: when the previous secret stops signing')),
  auth: z.optional(callbackAuthView),
  headers: z.optional(z.record(z.string(), z.string())),
  template: z.optional(callbackTemplate),
  createdAt: z.string(),
  updatedAt: z.optional(z.string()),
  secret: z
    .optional(z.string())
    .check(
      z.describe('The signing secret (whsec_…); returned only when the endpoint is created or its secret rotated'),
    ),
});

export const endpointListResponse = z.object({ items: z.array(endpointResponse) });

export const maintenanceWindowRequest = z.strictObject({
  startsAt: z.iso.datetime().check(z.describe('When the endpoint goes down (UTC); may be now')),
  endsAt: z.iso.datetime().check(z.describe('When it is back: at most 48 h after startsAt, in the future')),
  reason: z
    .optional(z.string().check(z.maxLength(200)))
    .check(z.describe('Shown to the tenant only, e.g. "Workday maintenance night"')),
});

export const maintenanceWindowResponse = z.object({
  windowId: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  reason: z.optional(z.string()),
  status: z.enum(['scheduled', 'active', 'ended']),
  createdAt: z.string(),
});

export const maintenanceWindowListResponse = z.object({ items: z.array(maintenanceWindowResponse) });

const messageStatus = z.enum(['pending', 'delivered', 'failing', 'dead']);

export const messageListQuery = z.strictObject({
  ...listQuery,
  from: z.optional(z.iso.datetime()).check(z.describe('Events that occurred at or after this instant')),
  to: z.optional(z.iso.datetime()),
  status: z.optional(messageStatus),
});

export const attemptListQuery = z.strictObject({
  ...listQuery,
  from: z.optional(z.iso.datetime()),
  to: z.optional(z.iso.datetime()),
});
export const deadLetterListQuery = z.strictObject(listQuery);

export const messageResponse = z.object({
  eventId: z.string().check(z.describe('Also the webhook-id of every attempt')),
  eventType: z.string().check(z.describe('The event type, or `webhook.digest`')),
  memberId: z.optional(z.string()),
  seq: z.optional(z.number().check(z.int())),
  occurredAt: z.string(),
  status: messageStatus,
  attempts: z.number().check(z.int(), z.describe('Attempts over all rounds')),
  round: z.number().check(z.int(), z.describe('0 for the first delivery; +1 per replay or redrive')),
  createdAt: z.string().check(z.describe('First attempt')),
  lastAttemptAt: z.optional(z.string()),
  lastStatus: z.optional(z.number().check(z.int())),
  lastError: z.optional(z.string()),
  nextAttemptAt: z.optional(z.string()),
  deliveredAt: z.optional(z.string()),
  deadAt: z.optional(z.string()),
  deadReason: z.optional(z.enum(DEAD_REASONS)),
});
export const messageListResponse = page(messageResponse);

export const attemptResponse = z.object({
  eventId: z.string(),
  attempt: z.number().check(z.int()),
  round: z.number().check(z.int()),
  at: z.string(),
  ok: z.boolean(),
  status: z.optional(z.number().check(z.int())),
  durationMs: z.number().check(z.int()),
  error: z.optional(z.string()),
  responseBody: z.optional(z.string()).check(z.describe('The first 4 KiB of a failed attempt’s answer')),
  probe: z.optional(z.boolean()).check(z.describe('The circuit breaker’s probe')),
});
export const attemptListResponse = page(attemptResponse);

export const messageDetailResponse = z.extend(messageResponse, {
  payload: z
    .record(z.string(), z.unknown())
    .check(z.describe('The event as logged (the endpoint receives it shaped by its payload mode)')),
  attempts: z.array(attemptResponse),
});

export const replayRangeRequest = z
  .strictObject({
    from: z.iso.datetime().check(z.describe('Events that occurred at or after this instant')),
    to: z.iso.datetime(),
    status: z
      .optional(z.enum(['delivered', 'dead']))
      .check(z.describe('Only these; messages still on their schedule are always skipped')),
    limit: z._default(z.number().check(z.int(), z.gte(1), z.lte(500)), 200),
    cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  })
  .check(z.refine((body) => body.from <= body.to, { error: 'from must not be after to', path: ['to'] }));

export const replayResponse = z.object({
  queued: z.number().check(z.int()),
  skipped: z.number().check(z.int(), z.describe('Messages still being delivered on their schedule')),
  nextCursor: z.optional(z.string()).check(z.describe('More messages in the range: call again with it')),
});

export const redriveRequest = z.strictObject({
  limit: z._default(z.number().check(z.int(), z.gte(1), z.lte(500)), 200),
});
export const redriveResponse = z.object({
  queued: z.number().check(z.int()),
  more: z.boolean().check(z.describe('More dead letters remain: call again')),
});

export const deadLetterListResponse = page(
  z.object({
    eventId: z.string(),
    eventType: z.string(),
    occurredAt: z.string(),
    deadAt: z.string(),
    reason: z.enum(DEAD_REASONS),
  }),
);

export const attemptResultResponse = z.object({
  ok: z.boolean(),
  status: z.optional(z.number().check(z.int())),
  durationMs: z.number().check(z.int()),
  error: z.optional(z.string()),
  responseBody: z.optional(z.string()),
});

export const problemResponse = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().check(z.int()),
  code: z.string().check(z.describe('Stable error code')),
  detail: z.optional(z.string()),
  instance: z.optional(z.string()),
  errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

/** A refused webhook URL: the problem names the SSRF guard's check that refused it. */
export const webhookUrlProblemResponse = z.extend(problemResponse, {
  reasonCode: z
    .enum([
      'url_invalid',
      'scheme_not_allowed',
      'credentials_in_url',
      'host_not_allowed',
      'address_not_allowed',
      'dns_failed',
      'not_a_chat_webhook',
      ...CALLBACK_REASON_CODES,
    ] satisfies (GuardCode | 'not_a_chat_webhook' | CallbackReasonCode)[])
    .check(
      z.describe(
        'The check that refused the URL (not_a_chat_webhook: not a URL the endpoint type’s chat tool issues), the ' +
          'token URL (callback_token_url_rejected: the same checks), or the callback configuration',
      ),
    ),
  path: z.optional(z.string().check(z.describe('The offending callback field, e.g. headers.Host'))),
  eventType: z.optional(z.string().check(z.describe('The sample event type a template failed to render'))),
});

export const earningResponse = z.object({
  points: z.number().check(z.int(), z.describe('Points the transaction earns')),
  basePoints: z.number().check(z.int()),
  breakdown: z
    .array(
      z.looseObject({
        kind: z.enum(['excluded', 'base', 'multiplier', 'promotion', 'cap']),
        points: z.number(),
        label: z.string(),
      }),
    )
    .check(z.describe('Each rule applied, in order, with the running total')),
  appliedPromotions: z.array(z.string()),
  capped: z.boolean(),
  holdDays: z.number().check(z.int()),
});

export const transactionResponse = z.object({
  transactionId: z.string(),
  earning: earningResponse,
  entry: z.optional(ledgerEntryResponse).check(z.describe('Absent when the rules gave no points')),
  balance: z.optional(balanceResponse),
  eventId: z.optional(z.string()),
});

export const transactionPreviewResponse = z.object({ transactionId: z.string(), earning: earningResponse });

export const offerResponse = z.object({
  offerId: z.string(),
  name: z.string(),
  description: z.optional(z.string()),
  status: z.enum(['active', 'paused']),
  startsAt: z.string(),
  endsAt: z.string(),
  tiers: z.optional(z.array(z.string())),
  segments: z.optional(z.array(z.string())),
  activationLimitPerMember: z.number().check(z.int()),
  updatedAt: z.string(),
});

export const offerListResponse = z.object({ items: z.array(offerResponse) });

export const eligibleOfferListResponse = z.object({
  items: z.array(
    z.extend(offerResponse, { remaining: z.number().check(z.int(), z.describe('Activations left for this member')) }),
  ),
});

export const offerViewRequest = z.strictObject({
  channel: z.optional(z.string().check(z.minLength(1), z.maxLength(40))),
});

export const offerViewResponse = z.object({ offerId: z.string(), eventId: z.string() });

export const offerActivationResponse = z.object({
  offerId: z.string(),
  activationCount: z.number().check(z.int()),
  remaining: z.number().check(z.int()),
  eventId: z.string(),
});

export const rewardResponse = z.object({
  rewardId: z.string(),
  name: z.string(),
  description: z.optional(z.string()),
  pointsCost: z.number().check(z.int()),
  status: z.enum(['active', 'paused']),
  fulfilment: z.enum(['voucher', 'manual']),
  unlimitedStock: z.boolean(),
  value: z.optional(z.object({ amount: z.number(), currency: z.string() })),
  category: z.optional(z.string()),
  campaign: z.optional(z.object({ campaignId: z.string(), cost: z.number().check(z.int()) })),
  stockAvailable: z
    .nullable(z.number().check(z.int()))
    .check(z.describe('Units left (voucher rewards: codes left); null for unlimited stock')),
  updatedAt: z.string(),
});

export const rewardListResponse = z.object({ items: z.array(rewardResponse) });

export const codeImportRequest = z.strictObject({
  codes: z
    .array(voucherCode)
    .check(z.minLength(1), z.maxLength(500), z.describe('Codes to add to the pool; codes seen before are skipped')),
});

export const codeImportResponse = z.object({
  rewardId: z.string(),
  imported: z.number().check(z.int()),
  duplicates: z.number().check(z.int(), z.describe('Codes skipped: imported before or repeated in the request')),
  stockAvailable: z.nullable(z.number().check(z.int())),
});

export const stockRequest = z.strictObject({
  quantity: z.number().check(z.int(), z.gte(1), z.lte(10_000_000), z.describe('Units to add')),
});

export const stockResponse = z.object({ rewardId: z.string(), addedUnits: z.number().check(z.int()) });

export const redeemRewardRequest = z.strictObject({
  rewardId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  source: z.optional(source),
});

export const redemptionResponse = z.object({
  redemptionId: z.string(),
  memberId: z.string(),
  rewardId: z.string(),
  rewardName: z.string(),
  entryId: z.string().check(z.describe('The redeem entry that burnt the points')),
  pointsCost: z.number().check(z.int()),
  rewardValue: z
    .optional(z.object({ amount: z.number(), currency: z.string() }))
    .check(z.describe('The reward’s value at redemption time')),
  rewardCategory: z.optional(z.string()).check(z.describe('The reward’s category at redemption time')),
  fulfilment: z.optional(z.enum(['voucher', 'manual'])),
  status: z.enum(['pending', 'fulfilled', 'cancelled']),
  voucherCode: z.optional(z.string()),
  campaignId: z.optional(z.string()),
  reference: z.optional(z.string()),
  cancelReason: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const redemptionChangeResponse = z.object({
  redemption: redemptionResponse,
  entry: z.optional(ledgerEntryResponse).check(z.describe('The redeem entry, or the refund of a cancellation')),
  balance: balanceResponse,
  eventId: z.string(),
});

export const redemptionListQuery = z.strictObject(listQuery);

export const redemptionListResponse = page(redemptionResponse);

export const fulfilRequest = z.strictObject({
  reference: z
    .optional(z.string().check(z.minLength(1), z.maxLength(128)))
    .check(z.describe('Your fulfilment reference, e.g. a shipment id')),
});

export const cancelRedemptionRequest = z.strictObject({ reason });

export const campaignResponse = z.object({
  campaignId: z.string(),
  name: z.string(),
  status: z.enum(['active', 'closed']),
  fundedPoints: z.number().check(z.int(), z.describe('Everything credited to the budget')),
  remainingPoints: z.number().check(z.int()),
  spentPoints: z.number().check(z.int()),
  updatedAt: z.string(),
});

export const fundRequest = z.strictObject({ amountPoints: points.check(z.describe('Points to add to the budget')) });

export const fundResponse = z.object({ campaignId: z.string(), creditedPoints: z.number().check(z.int()) });
