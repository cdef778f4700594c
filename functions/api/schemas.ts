import { z } from 'zod';
import { balanceSnapshot } from '../domain/events';

/** Request and response schemas of the API; the OpenAPI document is generated from them. */
const externalId = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, 'letters, digits and . _ : @ - only');

export const enrolRequest = z
  .object({
    externalId: externalId.describe("The member's id in the calling system (unique per tenant)"),
    email: z.email().max(254).optional(),
    firstName: z.string().min(1).max(100).optional(),
    lastName: z.string().min(1).max(100).optional(),
  })
  .strict();

export const earnRequest = z
  .object({
    amountPoints: z.number().int().min(1).max(1_000_000_000).describe('Points to credit'),
    reason: z.string().min(1).max(200),
    source: z.string().min(1).max(64).optional().describe('Calling system, e.g. pos, pms, booking'),
  })
  .strict();

export const eventTypePattern = z
  .string()
  .regex(/^(\*|[a-z]+(\.[a-z_]+)*(\.\*)?)$/, 'an event type, a `prefix.*` wildcard or `*`');

export const createEndpointRequest = z
  .object({
    url: z.url().max(2048),
    description: z.string().max(200).optional(),
    eventTypes: z.array(eventTypePattern).min(1).max(50).default(['*']),
  })
  .strict();

export const memberResponse = z.object({
  memberId: z.string(),
  externalId: z.string(),
  email: z.string().optional(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  status: z.enum(['active', 'inactive']),
  tier: z.string(),
  createdAt: z.string(),
});

export const balanceResponse = balanceSnapshot.extend({
  memberId: z.string(),
  seq: z.number().int(),
  updatedAt: z.string(),
});

export const ledgerEntryResponse = z.object({
  entryId: z.string(),
  tenantId: z.string(),
  memberId: z.string(),
  seq: z.number().int(),
  type: z.literal('earn'),
  amountPoints: z.number().int(),
  availableAfter: z.number().int(),
  reason: z.string(),
  source: z.string().optional(),
  idempotencyKey: z.string(),
  createdAt: z.string(),
});

export const earnResponse = z.object({ entry: ledgerEntryResponse, balance: balanceResponse, eventId: z.string() });

export const endpointResponse = z.object({
  subscriptionId: z.string(),
  url: z.string(),
  description: z.string().optional(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  createdAt: z.string(),
  secret: z.string().optional().describe('The signing secret (whsec_…); returned only when the endpoint is created'),
});

export const endpointListResponse = z.object({ items: z.array(endpointResponse) });

export const problemResponse = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string().describe('Stable error code'),
  detail: z.string().optional(),
  instance: z.string().optional(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
