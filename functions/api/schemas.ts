import { z } from 'zod';
import { balanceSnapshot, pointLot } from '../domain/events';
import { voucherCode } from '../domain/rewards';
import { ENDPOINT_TYPES } from '../domain/webhooks/endpoint-types';
import { DEAD_REASONS } from '../domain/webhooks/message';
import type { GuardCode } from '../domain/webhooks/ssrf-guard';

/** Request and response schemas of the API; the OpenAPI document is generated from them. */
const externalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only');

const profileFields = {
  email: z.email().max(254),
  firstName: z.string().min(1).max(100),
  lastName: z.string().min(1).max(100),
  phone: z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'E.164, e.g. +447700900123'),
  locale: z.string().regex(/^[a-z]{2,3}(-[A-Z]{2})?$/, 'a language tag such as en or en-GB'),
  birthDate: z.iso.date(),
  segments: z
    .array(z.string().regex(/^[a-z0-9_-]{1,40}$/))
    .max(20)
    .describe('Segments the calling system assigns (offers can target them)'),
};

export const enrolRequest = z
  .object({
    externalId: externalId.describe("The member's id in the calling system (unique per tenant)"),
    email: profileFields.email.optional(),
    firstName: profileFields.firstName.optional(),
    lastName: profileFields.lastName.optional(),
    phone: profileFields.phone.optional(),
    locale: profileFields.locale.optional(),
    birthDate: profileFields.birthDate.optional(),
    segments: profileFields.segments.optional(),
  })
  .strict();

export const profilePatchRequest = z
  .object({
    email: profileFields.email.nullable().optional(),
    firstName: profileFields.firstName.nullable().optional(),
    lastName: profileFields.lastName.nullable().optional(),
    phone: profileFields.phone.nullable().optional(),
    locale: profileFields.locale.nullable().optional(),
    birthDate: profileFields.birthDate.nullable().optional(),
    segments: profileFields.segments.nullable().optional(),
  })
  .strict()
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one field; null removes a field')
  .describe('JSON merge patch of the profile: listed fields change, null removes one');

export const statusRequest = z.object({ reason: z.string().min(1).max(200).optional() }).strict();

const reason = z.string().min(1).max(200);
const source = z.string().min(1).max(64).describe('Calling system, e.g. pos, pms, booking');
const points = z.number().int().min(1).max(1_000_000_000);

export const earnRequest = z
  .object({
    amountPoints: points.describe('Points to credit'),
    reason,
    source: source.optional(),
    transactionId: z.string().min(1).max(128).optional().describe("The calling system's reference"),
    holdDays: z
      .number()
      .int()
      .min(0)
      .max(365)
      .optional()
      .describe("Hold as pending for this many days (default: the programme's holdDays)"),
    expiresAt: z.iso
      .datetime()
      .nullable()
      .optional()
      .describe("Expiry of these points (default: the programme's policy); null never"),
    campaignId: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional()
      .describe(
        'A campaign whose budget funds these points; refused when the budget cannot (campaign_budget_exhausted)',
      ),
  })
  .strict();

export const redeemRequest = z
  .object({ amountPoints: points.describe('Points to spend'), reason, source: source.optional() })
  .strict();

export const adjustRequest = z
  .object({
    amountPoints: z
      .number()
      .int()
      .min(-1_000_000_000)
      .max(1_000_000_000)
      .refine((n) => n !== 0, 'must not be 0')
      .describe('Signed: positive credits, negative debits (never below zero)'),
    reason: z.string().min(3).max(200).describe('Mandatory: why the balance is corrected'),
    expiresAt: z.iso.datetime().nullable().optional(),
  })
  .strict();

export const reverseRequest = z
  .object({
    amountPoints: points.optional().describe('Points to reverse; the whole remainder of the entry when absent'),
    reason,
  })
  .strict();

export const listQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().min(1).max(1024).optional(),
};

export const memberListQuery = z
  .object({ ...listQuery, status: z.enum(['active', 'inactive', 'erased']).optional() })
  .strict();

export const ENTRY_TYPES = ['earn', 'activate', 'redeem', 'adjust', 'reverse', 'expire', 'forfeit'] as const;

export const entryListQuery = z
  .object({
    ...listQuery,
    type: z
      .string()
      .transform((value) => value.split(','))
      .pipe(z.array(z.enum(ENTRY_TYPES)).min(1))
      .optional()
      .describe('Comma-separated entry types'),
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
  })
  .strict();

export const balanceQuery = z
  .object({ asOf: z.iso.datetime().optional().describe('Read the balance as it stood at this instant') })
  .strict();

const memberStatus = z.enum(['active', 'inactive', 'erased']);

export const memberResponse = z.object({
  memberId: z.string(),
  externalId: z.string().describe('Empty once the member is erased'),
  email: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  phone: z.string().optional(),
  locale: z.string().optional(),
  birthDate: z.string().optional(),
  segments: z.array(z.string()).optional(),
  status: memberStatus,
  tier: z.string(),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
  erasedAt: z.string().optional(),
});

const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z.string().optional().describe('Pass as `cursor` for the next page; absent on the last page'),
  });

export const memberListResponse = page(memberResponse);

export const balanceResponse = balanceSnapshot.extend({
  memberId: z.string(),
  status: memberStatus,
  expiringSoonPoints: z.number().int().describe("Points expiring within the programme's notice period"),
  nextExpiry: z.object({ expiresAt: z.string(), points: z.number().int() }).nullable(),
  lots: z.array(pointLot).describe('Available points by expiry, soonest first'),
  pending: z.array(z.object({ entryId: z.string(), points: z.number().int(), activatesAt: z.string() })),
  seq: z.number().int(),
  updatedAt: z.string(),
});

export const balanceAsOfResponse = z.object({
  memberId: z.string(),
  asOf: z.string(),
  availablePoints: z.number().int(),
  pendingPoints: z.number().int(),
  lifetimePoints: z.number().int(),
  lastEntryId: z.string().nullable().describe('The last entry committed by then'),
});

export const ledgerEntryResponse = z.object({
  entryId: z.string(),
  memberId: z.string(),
  seq: z.number().int(),
  type: z.enum(ENTRY_TYPES),
  amountPoints: z.number().int().describe('Signed change of available points'),
  pendingPoints: z.number().int().describe('Signed change of pending points'),
  availableAfter: z.number().int(),
  pendingAfter: z.number().int(),
  lifetimeAfter: z.number().int(),
  reason: z.string(),
  source: z.string().optional(),
  transactionId: z.string().optional(),
  lots: z.array(pointLot),
  activatesAt: z.string().optional(),
  relatedEntryId: z.string().optional(),
  redemptionId: z.string().optional().describe('The reward redemption this entry paid for'),
  rewardId: z.string().optional(),
  campaign: z
    .object({ campaignId: z.string(), shard: z.number().int() })
    .optional()
    .describe('The campaign budget that funded this earning'),
  idempotencyKey: z.string().optional(),
  createdAt: z.string(),
});

export const entryListResponse = page(ledgerEntryResponse);

export const pointsResponse = z.object({ entry: ledgerEntryResponse, balance: balanceResponse, eventId: z.string() });

export const eventTypePattern = z
  .string()
  .regex(/^(\*|[a-z]+(\.[a-z_]+)*(\.\*)?)$/, 'an event type, a `prefix.*` wildcard or `*`');

const endpointFields = {
  url: z.url().max(2048),
  description: z.string().max(200),
  eventTypes: z
    .array(eventTypePattern)
    .min(1)
    .max(50)
    .describe('Event types, `prefix.*` wildcards or `*` (every type but `audit.*`, which is subscribed to by name)'),
  payload: z
    .enum(['full', 'thin'])
    .describe('full: the whole event; thin: the envelope and the ids in data only (data minimisation)'),
  fields: z
    .array(z.string().regex(/^[A-Za-z]{1,64}$/))
    .min(1)
    .max(50)
    .describe(
      'Full mode: the data fields to send; absent sends all. The envelope (id, type, memberId, seq…) is always sent',
    ),
  rateLimitPerSecond: z
    .number()
    .int()
    .min(1)
    .max(200)
    .describe('At most this many deliveries per second to the endpoint; the rest wait their turn'),
  digest: z
    .object({ intervalSeconds: z.number().int().min(10).max(3600).describe('Window length: 10 s to 1 h') })
    .strict()
    .describe(
      'Digest mode: one `webhook.digest` call per window carrying its events (up to 500 per call), ' +
        'instead of one call per event',
    ),
};

export const createEndpointRequest = z
  .object({
    url: endpointFields.url,
    description: endpointFields.description.optional(),
    eventTypes: endpointFields.eventTypes.default(['*']),
    payload: endpointFields.payload.default('full'),
    fields: endpointFields.fields.optional(),
    rateLimitPerSecond: endpointFields.rateLimitPerSecond.optional(),
    digest: endpointFields.digest.optional(),
    type: z
      .enum(ENDPOINT_TYPES)
      .default('webhook')
      .describe(
        'webhook: signed raw events; slack / teams: an incoming webhook URL of the chat tool, sent readable ' +
          'messages (unsigned: the URL is the secret, masked once registered)',
      ),
    ed25519: z
      .boolean()
      .default(false)
      .describe(
        'Also sign with an ed25519 key (`v1a,` signatures); receivers verify with the public key shown on the endpoint',
      ),
  })
  .strict();

export const updateEndpointRequest = z
  .object({
    url: endpointFields.url.optional(),
    description: endpointFields.description.nullable().optional(),
    eventTypes: endpointFields.eventTypes.optional(),
    enabled: z.boolean().optional(),
    payload: endpointFields.payload.optional(),
    fields: endpointFields.fields.nullable().optional(),
    rateLimitPerSecond: endpointFields.rateLimitPerSecond.nullable().optional(),
    digest: endpointFields.digest.nullable().optional(),
  })
  .strict();

/** How long a rotated secret stays accepted beside its successor: hours, at most a week, a day unless said. */
export const overlapHours = (description: string) => z.number().int().min(0).max(168).default(24).describe(description);

export const rotateSecretRequest = z
  .object({
    overlapHours: overlapHours('How long the previous secret keeps signing beside the new one'),
  })
  .strict();

export const endpointResponse = z.object({
  subscriptionId: z.string(),
  type: z.enum(ENDPOINT_TYPES),
  url: z.string().describe('The URL; a chat endpoint shows only its scheme and host (its path is the secret)'),
  description: z.string().optional(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  payload: z.enum(['full', 'thin']),
  fields: z.array(z.string()).optional(),
  rateLimitPerSecond: z.number().int().optional(),
  digest: z.object({ intervalSeconds: z.number().int() }).optional(),
  disabledReason: z
    .enum(['gone', 'failing'])
    .optional()
    .describe('Why the platform disabled the endpoint: it answered 410, or failed for too long'),
  disabledAt: z.string().optional(),
  publicKeys: z
    .array(z.string())
    .optional()
    .describe('ed25519 public keys (whpk_…) that verify `v1a,` signatures, newest first'),
  health: z
    .object({
      state: z
        .enum(['closed', 'open', 'halfOpen'])
        .describe('The circuit breaker: open means deliveries wait (nothing is dropped) until a probe succeeds'),
      consecutiveFailures: z.number().int(),
      failingSince: z.string().optional(),
      openUntil: z.string().optional(),
      pauseUntil: z.string().optional().describe('The endpoint asked for a pause (429/503 with Retry-After)'),
      lastStatus: z.number().int().nullable().optional(),
      lastError: z.string().nullable().optional(),
    })
    .optional()
    .describe('Delivery health (single endpoint reads only)'),
  secretsRetireAt: z.string().optional().describe('During a rotation: when the previous secret stops signing'),
  createdAt: z.string(),
  updatedAt: z.string().optional(),
  secret: z
    .string()
    .optional()
    .describe('The signing secret (whsec_…); returned only when the endpoint is created or its secret rotated'),
});

export const endpointListResponse = z.object({ items: z.array(endpointResponse) });

export const maintenanceWindowRequest = z
  .object({
    startsAt: z.iso.datetime().describe('When the endpoint goes down (UTC); may be now'),
    endsAt: z.iso.datetime().describe('When it is back: at most 48 h after startsAt, in the future'),
    reason: z.string().max(200).optional().describe('Shown to the tenant only, e.g. "Workday maintenance night"'),
  })
  .strict();

export const maintenanceWindowResponse = z.object({
  windowId: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  reason: z.string().optional(),
  status: z.enum(['scheduled', 'active', 'ended']),
  createdAt: z.string(),
});

export const maintenanceWindowListResponse = z.object({ items: z.array(maintenanceWindowResponse) });

const messageStatus = z.enum(['pending', 'delivered', 'failing', 'dead']);

export const messageListQuery = z
  .object({
    ...listQuery,
    from: z.iso.datetime().optional().describe('Events that occurred at or after this instant'),
    to: z.iso.datetime().optional(),
    status: messageStatus.optional(),
  })
  .strict();

export const attemptListQuery = z
  .object({ ...listQuery, from: z.iso.datetime().optional(), to: z.iso.datetime().optional() })
  .strict();
export const deadLetterListQuery = z.object(listQuery).strict();

export const messageResponse = z.object({
  eventId: z.string().describe('Also the webhook-id of every attempt'),
  eventType: z.string().describe('The event type, or `webhook.digest`'),
  memberId: z.string().optional(),
  seq: z.number().int().optional(),
  occurredAt: z.string(),
  status: messageStatus,
  attempts: z.number().int().describe('Attempts over all rounds'),
  round: z.number().int().describe('0 for the first delivery; +1 per replay or redrive'),
  createdAt: z.string().describe('First attempt'),
  lastAttemptAt: z.string().optional(),
  lastStatus: z.number().int().optional(),
  lastError: z.string().optional(),
  nextAttemptAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  deadAt: z.string().optional(),
  deadReason: z.enum(DEAD_REASONS).optional(),
});
export const messageListResponse = page(messageResponse);

export const attemptResponse = z.object({
  eventId: z.string(),
  attempt: z.number().int(),
  round: z.number().int(),
  at: z.string(),
  ok: z.boolean(),
  status: z.number().int().optional(),
  durationMs: z.number().int(),
  error: z.string().optional(),
  responseBody: z.string().optional().describe('The first 4 KiB of a failed attempt’s answer'),
  probe: z.boolean().optional().describe('The circuit breaker’s probe'),
});
export const attemptListResponse = page(attemptResponse);

export const messageDetailResponse = messageResponse.extend({
  payload: z
    .record(z.string(), z.unknown())
    .describe('The event as logged (the endpoint receives it shaped by its payload mode)'),
  attempts: z.array(attemptResponse),
});

export const replayRangeRequest = z
  .object({
    from: z.iso.datetime().describe('Events that occurred at or after this instant'),
    to: z.iso.datetime(),
    status: z
      .enum(['delivered', 'dead'])
      .optional()
      .describe('Only these; messages still on their schedule are always skipped'),
    limit: z.number().int().min(1).max(500).default(200),
    cursor: z.string().min(1).max(1024).optional(),
  })
  .strict()
  .refine((body) => body.from <= body.to, { error: 'from must not be after to', path: ['to'] });

export const replayResponse = z.object({
  queued: z.number().int(),
  skipped: z.number().int().describe('Messages still being delivered on their schedule'),
  nextCursor: z.string().optional().describe('More messages in the range: call again with it'),
});

export const redriveRequest = z.object({ limit: z.number().int().min(1).max(500).default(200) }).strict();
export const redriveResponse = z.object({
  queued: z.number().int(),
  more: z.boolean().describe('More dead letters remain: call again'),
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
  status: z.number().int().optional(),
  durationMs: z.number().int(),
  error: z.string().optional(),
  responseBody: z.string().optional(),
});

export const problemResponse = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string().describe('Stable error code'),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** A refused webhook URL: the problem names the SSRF guard's check that refused it. */
export const webhookUrlProblemResponse = problemResponse.extend({
  reasonCode: z
    .enum([
      'url_invalid',
      'scheme_not_allowed',
      'credentials_in_url',
      'host_not_allowed',
      'address_not_allowed',
      'dns_failed',
      'not_a_chat_webhook',
    ] satisfies (GuardCode | 'not_a_chat_webhook')[])
    .describe('The check that refused the URL (not_a_chat_webhook: not a URL the endpoint type’s chat tool issues)'),
});

export const earningResponse = z.object({
  points: z.number().int().describe('Points the transaction earns'),
  basePoints: z.number().int(),
  breakdown: z
    .array(
      z.looseObject({
        kind: z.enum(['excluded', 'base', 'multiplier', 'promotion', 'cap']),
        points: z.number(),
        label: z.string(),
      }),
    )
    .describe('Each rule applied, in order, with the running total'),
  appliedPromotions: z.array(z.string()),
  capped: z.boolean(),
  holdDays: z.number().int(),
});

export const transactionResponse = z.object({
  transactionId: z.string(),
  earning: earningResponse,
  entry: ledgerEntryResponse.optional().describe('Absent when the rules gave no points'),
  balance: balanceResponse.optional(),
  eventId: z.string().optional(),
});

export const transactionPreviewResponse = z.object({ transactionId: z.string(), earning: earningResponse });

export const offerResponse = z.object({
  offerId: z.string(),
  name: z.string(),
  description: z.string().optional(),
  status: z.enum(['active', 'paused']),
  startsAt: z.string(),
  endsAt: z.string(),
  tiers: z.array(z.string()).optional(),
  segments: z.array(z.string()).optional(),
  activationLimitPerMember: z.number().int(),
  updatedAt: z.string(),
});

export const offerListResponse = z.object({ items: z.array(offerResponse) });

export const eligibleOfferListResponse = z.object({
  items: z.array(offerResponse.extend({ remaining: z.number().int().describe('Activations left for this member') })),
});

export const offerViewRequest = z.object({ channel: z.string().min(1).max(40).optional() }).strict();

export const offerViewResponse = z.object({ offerId: z.string(), eventId: z.string() });

export const offerActivationResponse = z.object({
  offerId: z.string(),
  activationCount: z.number().int(),
  remaining: z.number().int(),
  eventId: z.string(),
});

export const rewardResponse = z.object({
  rewardId: z.string(),
  name: z.string(),
  description: z.string().optional(),
  pointsCost: z.number().int(),
  status: z.enum(['active', 'paused']),
  fulfilment: z.enum(['voucher', 'manual']),
  unlimitedStock: z.boolean(),
  value: z.object({ amount: z.number(), currency: z.string() }).optional(),
  category: z.string().optional(),
  campaign: z.object({ campaignId: z.string(), cost: z.number().int() }).optional(),
  stockAvailable: z
    .number()
    .int()
    .nullable()
    .describe('Units left (voucher rewards: codes left); null for unlimited stock'),
  updatedAt: z.string(),
});

export const rewardListResponse = z.object({ items: z.array(rewardResponse) });

export const codeImportRequest = z
  .object({
    codes: z.array(voucherCode).min(1).max(500).describe('Codes to add to the pool; codes seen before are skipped'),
  })
  .strict();

export const codeImportResponse = z.object({
  rewardId: z.string(),
  imported: z.number().int(),
  duplicates: z.number().int().describe('Codes skipped: imported before or repeated in the request'),
  stockAvailable: z.number().int().nullable(),
});

export const stockRequest = z
  .object({ quantity: z.number().int().min(1).max(10_000_000).describe('Units to add') })
  .strict();

export const stockResponse = z.object({ rewardId: z.string(), addedUnits: z.number().int() });

export const redeemRewardRequest = z
  .object({ rewardId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), source: source.optional() })
  .strict();

export const redemptionResponse = z.object({
  redemptionId: z.string(),
  memberId: z.string(),
  rewardId: z.string(),
  rewardName: z.string(),
  entryId: z.string().describe('The redeem entry that burnt the points'),
  pointsCost: z.number().int(),
  rewardValue: z
    .object({ amount: z.number(), currency: z.string() })
    .optional()
    .describe('The reward’s value at redemption time'),
  rewardCategory: z.string().optional().describe('The reward’s category at redemption time'),
  fulfilment: z.enum(['voucher', 'manual']).optional(),
  status: z.enum(['pending', 'fulfilled', 'cancelled']),
  voucherCode: z.string().optional(),
  campaignId: z.string().optional(),
  reference: z.string().optional(),
  cancelReason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const redemptionChangeResponse = z.object({
  redemption: redemptionResponse,
  entry: ledgerEntryResponse.optional().describe('The redeem entry, or the refund of a cancellation'),
  balance: balanceResponse,
  eventId: z.string(),
});

export const redemptionListQuery = z.object(listQuery).strict();

export const redemptionListResponse = page(redemptionResponse);

export const fulfilRequest = z
  .object({
    reference: z.string().min(1).max(128).optional().describe('Your fulfilment reference, e.g. a shipment id'),
  })
  .strict();

export const cancelRedemptionRequest = z.object({ reason }).strict();

export const campaignResponse = z.object({
  campaignId: z.string(),
  name: z.string(),
  status: z.enum(['active', 'closed']),
  fundedPoints: z.number().int().describe('Everything credited to the budget'),
  remainingPoints: z.number().int(),
  spentPoints: z.number().int(),
  updatedAt: z.string(),
});

export const fundRequest = z.object({ amountPoints: points.describe('Points to add to the budget') }).strict();

export const fundResponse = z.object({ campaignId: z.string(), creditedPoints: z.number().int() });
