import * as z from '../shared/zod';
import { changedFieldNames } from '../domain/audit';
import { EVENT_TYPES, loyaltyEvent } from '../domain/events';
import { AS_COMMITTED, minimisationSettings, type MinimisationSettings } from '../domain/minimisation';
import { Problem } from '../shared/problem';
import { recordAudit } from './audit-operations';
import type { Operation } from './operation-kit';
import { readOperation, writeOperation } from './operation-shapes';

/**
 * The tenant's lake settings: which data fields of each event type reach its lake files and whether member ids are
 * pseudonymised there, plus the key that re-identifies them. Scope `data:manage`: whoever holds the key can link the
 * files back to members, so it is granted apart from the programme's settings.
 */

const lake = { tag: 'Lake', scope: 'data:manage' } as const;

const KEY_ALGORITHM = 'HMAC-SHA256, first 20 bytes, base32 (RFC 4648, lower case, unpadded), mbr_ prefix';

const lakeSettingsResponse = z
  .extend(minimisationSettings, {
    configured: z
      .boolean()
      .check(z.describe('False while the tenant never set any: its files carry events as committed')),
    updatedAt: z.optional(z.iso.datetime()),
  })
  .check(z.describe('What the lake receives of this tenant’s events'));

/** A zod schema's object shape, through optional and nullable wrappers; null when it is no object. */
function objectShape(schema: z.ZodMiniType): Record<string, z.ZodMiniType> | null {
  let current: z.ZodMiniType = schema;
  while (current instanceof z.ZodMiniOptional || current instanceof z.ZodMiniNullable)
    current = current.def.innerType as z.ZodMiniType;
  if (current instanceof z.ZodMiniArray) return objectShape(current.def.element as z.ZodMiniType);
  return current instanceof z.ZodMiniObject ? (current.shape as Record<string, z.ZodMiniType>) : null;
}

const dataShapes = new Map(
  loyaltyEvent.def.options.map((option) => [
    z.literalValue(option.shape.type) as string,
    objectShape(option.shape.data),
  ]),
);

/**
 * Every event type must be in the catalogue and every path must name data fields its schema has (lake settings and
 * feed consumers alike).
 */
export function checkAgainstCatalogue(settings: MinimisationSettings): void {
  const errors: { path: string; message: string }[] = [];
  for (const [type, paths] of Object.entries(settings.fields ?? {})) {
    if (!dataShapes.has(type)) {
      errors.push({ path: `fields.${type}`, message: `Not an event type (one of ${EVENT_TYPES.join(', ')})` });
      continue;
    }
    for (const path of paths) {
      let shape = dataShapes.get(type) ?? null;
      for (const step of path.split('.')) {
        const field = shape?.[step];
        if (!field) {
          errors.push({ path: `fields.${type}`, message: `${type} data has no field ${path}` });
          break;
        }
        shape = objectShape(field);
      }
    }
  }
  if (errors.length > 0) throw new Problem('validation_failed', 'Unknown event types or fields', { errors });
}

export const lakeOperations: Operation[] = [
  readOperation({
    ...lake,
    path: '/v1/lake/settings',
    operationId: 'getLakeSettings',
    summary: 'What the lake files receive of this tenant’s events: field allowlists and pseudonymisation',
    ok: { description: 'The lake settings', schema: lakeSettingsResponse },
    read: async ({ tenantId, services }) => {
      const stored = await services.lakeSettings.get(tenantId);
      return stored
        ? { ...stored.settings, configured: true, updatedAt: stored.updatedAt }
        : { ...AS_COMMITTED, configured: false };
    },
  }),
  writeOperation({
    ...lake,
    method: 'PUT',
    path: '/v1/lake/settings',
    operationId: 'putLakeSettings',
    summary:
      'Replace the lake settings (applied to events sent after about a minute; files already written stay as ' +
      'they are). The first settings create the tenant’s pseudonymisation key',
    request: minimisationSettings,
    responses: { 200: { description: 'The lake settings', schema: lakeSettingsResponse } },
    run: async (ctx, settings) => {
      checkAgainstCatalogue(settings);
      const { tenantId, services } = ctx;
      const before = await services.lakeSettings.get(tenantId);
      const updatedAt = services.clock.now().toISOString();
      await services.lakeSettings.put(tenantId, { settings, updatedAt });
      const changedFields = changedFieldNames(before?.settings ?? AS_COMMITTED, settings);
      await recordAudit(ctx, 'audit.lake.settings_updated', tenantId, { changedFields }, { at: updatedAt });
      return { statusCode: 200, body: { ...settings, configured: true, updatedAt } };
    },
  }),
  writeOperation({
    ...lake,
    method: 'POST',
    path: '/v1/lake/pseudonym-key/reveal',
    operationId: 'revealPseudonymKey',
    summary:
      'The key of the member pseudonyms (HMAC-SHA256 of the member id, first 20 bytes in base32 after mbr_), so the ' +
      'tenant can re-identify its own members (created on first use); every reveal is in the audit trail',
    request: z.strictObject({}),
    responses: {
      200: {
        description: 'The key',
        schema: z.object({
          key: z.string().check(z.describe('Base64 of 32 bytes')),
          algorithm: z.literal(KEY_ALGORITHM),
        }),
      },
    },
    run: async (ctx) => {
      const key = await ctx.services.lakeSettings.pseudonymKey(ctx.tenantId, { create: true });
      if (key === null) throw new Error(`The pseudonym key of ${ctx.tenantId} was created but cannot be read`);
      await recordAudit(ctx, 'audit.lake.pseudonym_key_revealed', ctx.tenantId, {});
      return {
        statusCode: 200,
        body: { key, algorithm: KEY_ALGORITHM },
      };
    },
  }),
];
