import { buildEventCatalogue } from '../event-catalogue';
import type { LoyaltyEvent } from '../events';
import { matchesEventType } from './message';

/**
 * A sample event per catalogue type, built from the type's JSON Schema (every field, optional ones included, so a
 * preview shows all a template can read): what a callback template is validated against at registration and what a
 * preview renders when the caller gives no event. Values are placeholders that say what they stand for.
 */

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number;
}

const SAMPLE_TIME = '2026-01-01T12:00:00.000Z';

function sampleOf(schema: Schema, name: string): unknown {
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  if (schema.anyOf?.length) {
    const concrete = schema.anyOf.find((option) => option.type !== 'null') ?? schema.anyOf[0];
    return concrete ? sampleOf(concrete, name) : null;
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'object':
      return Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([field, child]) => [field, sampleOf(child, field)]),
      );
    case 'array':
      return schema.items ? [sampleOf(schema.items, name)] : [];
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 0, (schema.exclusiveMinimum ?? 0) + 1) * (name === 'seq' ? 1 : 100);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return schema.format === 'date-time' ? SAMPLE_TIME : `${name}_sample`;
  }
}

let samples: Map<string, LoyaltyEvent> | undefined;

/** Every catalogue type's sample, built once per container. */
function allSamples(): Map<string, LoyaltyEvent> {
  samples ??= new Map(
    buildEventCatalogue().events.map(({ type, schema }) => [type, sampleOf(schema as Schema, type) as LoyaltyEvent]),
  );
  return samples;
}

/** The sample of one type for a tenant, or undefined when the catalogue has no such type. */
export function sampleEvent(type: string, tenantId: string): LoyaltyEvent | undefined {
  const sample = allSamples().get(type);
  if (!sample) return undefined;
  return { ...sample, id: 'evt_sample', tenantId, ...('memberId' in sample ? { memberId: 'mem_sample' } : {}) };
}

/** The samples of the catalogue types an endpoint's patterns match (`*`, `points.*`, exact types). */
export function samplesFor(patterns: string[], tenantId: string): LoyaltyEvent[] {
  return [...allSamples().keys()]
    .filter((type) => matchesEventType(patterns, type))
    .flatMap((type) => sampleEvent(type, tenantId) ?? []);
}
