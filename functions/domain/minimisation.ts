import { createHmac, randomBytes } from 'node:crypto';
import * as z from '../shared/zod';

/**
 * Data minimisation of events leaving the platform in bulk (lake files, feed consumers): per event type only the
 * data fields a tenant allows, and member ids replaced by a keyed hash that only the tenant's key links back to a
 * member. Events carry no profile data at all, so nothing personal is left but the (pseudonymised) member id.
 */

/** Where an allowlist's path steps into a nested object (`balance.availablePoints`). */
const PATH_SEPARATOR = '.';
const FIELD_PATH = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$/;

export const minimisationSettings = z.strictObject({
  fields: z
    .optional(
      z.record(
        z.string().check(z.minLength(1), z.maxLength(64)),
        z
          .array(
            z
              .string()
              .check(z.regex(FIELD_PATH, 'A dot-separated field path, e.g. balance.availablePoints'), z.maxLength(128)),
          )
          .check(z.maxLength(64)),
      ),
    )
    .check(
      z.describe(
        'Per event type, the data fields kept (dot paths into nested objects; through arrays they apply to each ' +
          'element). An event type not named keeps its data whole. The envelope is always kept.',
      ),
    ),
  pseudonymiseMemberIds: z
    ._default(z.boolean(), true)
    .check(z.describe('Replace member ids by a keyed hash (mbr_…), stable per tenant so files still join')),
});

/** The same shape for the lake and for each named feed consumer. */
export type MinimisationSettings = z.infer<typeof minimisationSettings>;

/**
 * Settings a tenant writes pseudonymise unless it opts out. A tenant that never wrote any gets its events as
 * committed (`AS_COMMITTED`), as before lake settings existed, so existing loaders keep joining on member ids.
 */
export const DEFAULT_MINIMISATION: MinimisationSettings = { pseudonymiseMemberIds: true };
export const AS_COMMITTED: MinimisationSettings = { pseudonymiseMemberIds: false };

/** The envelope fields every minimised event keeps (the member id only as its pseudonym when asked). */
const ENVELOPE = ['id', 'type', 'version', 'tenantId', 'seq', 'occurredAt', 'correlationId', 'endpointId', 'actor'];

/** Bytes of the HMAC kept: 160 bits, far beyond any chance of two members of a tenant colliding. */
const PSEUDONYM_BYTES = 20;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
/** A pseudonymisation key: 256 random bits, base64. */
export const PSEUDONYM_KEY_BYTES = 32;

/** RFC 4648 base32, lower case and unpadded (40 bits to 8 characters; 20 bytes to 32). */
function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return bits > 0 ? out + BASE32.charAt((value << (5 - bits)) & 31) : out;
}

/** A fresh pseudonymisation key for a tenant (base64 of 32 random bytes). */
export const newPseudonymKey = (): string => randomBytes(PSEUDONYM_KEY_BYTES).toString('base64');

/**
 * The member's pseudonym under the tenant's key: HMAC-SHA256 of the member id, its first 20 bytes in base32.
 * Stable for one key (joins across files work); without the key it cannot be reversed or recomputed, and the
 * tenant re-identifies by computing it over its own member ids.
 * @example memberPseudonym(key, 'm_123') // 'mbr_' + 32 base32 characters
 */
export function memberPseudonym(key: string, memberId: string): string {
  const digest = createHmac('sha256', Buffer.from(key, 'base64')).update(memberId, 'utf8').digest();
  return `mbr_${base32(digest.subarray(0, PSEUDONYM_BYTES))}`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A tree of the allowed paths: `true` keeps the whole value there. */
type Allowed = { [field: string]: Allowed | true };

function allowedTree(paths: readonly string[]): Allowed {
  const tree: Allowed = {};
  for (const path of paths) {
    const steps = path.split(PATH_SEPARATOR);
    let node = tree;
    steps.forEach((step, i) => {
      if (node[step] === true) return;
      if (i === steps.length - 1) node[step] = true;
      else node = node[step] = node[step] ?? {};
    });
  }
  return tree;
}

function pick(value: unknown, allowed: Allowed | true): unknown {
  if (allowed === true) return value;
  if (Array.isArray(value)) return value.map((item) => pick(item, allowed));
  // A path that goes deeper than the value does keeps nothing: the allowlist never widens to a whole scalar.
  if (!isRecord(value)) return undefined;
  const kept: Record<string, unknown> = {};
  for (const [field, below] of Object.entries(allowed)) {
    if (!(field in value)) continue;
    const picked = pick(value[field], below);
    if (picked !== undefined) kept[field] = picked;
  }
  return kept;
}

/** Member ids inside data: an audit event's subject when the subject is a member. */
function pseudonymiseData(data: unknown, pseudonym: (memberId: string) => string): unknown {
  if (!isRecord(data) || !isRecord(data.subject)) return data;
  const { subject } = data;
  if (subject.type !== 'member' || typeof subject.id !== 'string') return data;
  return { ...data, subject: { ...subject, id: pseudonym(subject.id) } };
}

/**
 * The event as a tenant's settings let it leave: the envelope, only the allowed data fields of its type, and member
 * ids replaced by `pseudonym` (the tenant's keyed hash) when the settings say so. Pure: the caller holds the key.
 */
export function minimise(
  event: Readonly<Record<string, unknown>> & { readonly type: string },
  settings: MinimisationSettings,
  pseudonym: (memberId: string) => string,
): Record<string, unknown> {
  const allowed = settings.fields?.[event.type];
  const out: Record<string, unknown> = {};
  // Walked in the event's own order, so a minimised line reads like the committed one.
  for (const [field, value] of Object.entries(event)) {
    if (value === undefined) continue;
    if (field === 'memberId' && typeof value === 'string') {
      out.memberId = settings.pseudonymiseMemberIds ? pseudonym(value) : value;
    } else if (field === 'data') {
      const data = allowed ? pick(value, allowedTree(allowed)) : value;
      out.data = settings.pseudonymiseMemberIds ? pseudonymiseData(data, pseudonym) : data;
    } else if (ENVELOPE.includes(field)) {
      out[field] = value;
    }
  }
  return out;
}

/** True when the settings change nothing, so the event can be sent as committed. */
export const keepsEverything = (settings: MinimisationSettings): boolean =>
  !settings.pseudonymiseMemberIds && Object.keys(settings.fields ?? {}).length === 0;
