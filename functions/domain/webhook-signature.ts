import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Standard Webhooks signatures: `v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>`,
 * secrets as `whsec_<base64>`. During rotation several signatures are sent, space separated.
 * @example sign({ secret, id: 'evt_1', timestampSeconds: 1614265330, body }) // 'v1,g0hM9S…'
 */
export const SECRET_PREFIX = 'whsec_';

export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}

export function sign(input: { secret: string; id: string; timestampSeconds: number; body: string }): string {
  const mac = createHmac('sha256', secretBytes(input.secret))
    .update(`${input.id}.${input.timestampSeconds}.${input.body}`)
    .digest('base64');
  return `v1,${mac}`;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export function signedHeaders(input: { secrets: string[]; id: string; timestampSeconds: number; body: string }): WebhookHeaders {
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(input.timestampSeconds),
    'webhook-signature': input.secrets.map((secret) => sign({ secret, id: input.id, timestampSeconds: input.timestampSeconds, body: input.body })).join(' '),
  };
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'missing_headers' | 'timestamp_out_of_tolerance' | 'no_matching_signature' };

/** What a receiver does: check the timestamp tolerance, then compare in constant time. */
export function verify(input: {
  secret: string;
  headers: Record<string, string | undefined>;
  body: string;
  nowSeconds?: number;
  toleranceSeconds?: number;
}): VerifyResult {
  const id = input.headers['webhook-id'];
  const timestamp = input.headers['webhook-timestamp'];
  const signatures = input.headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return { ok: false, reason: 'missing_headers' };
  const ts = Number(timestamp);
  const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (!Number.isInteger(ts) || Math.abs(now - ts) > (input.toleranceSeconds ?? 300)) {
    return { ok: false, reason: 'timestamp_out_of_tolerance' };
  }
  const expected = Buffer.from(sign({ secret: input.secret, id, timestampSeconds: ts, body: input.body }));
  for (const candidate of signatures.split(' ')) {
    const given = Buffer.from(candidate);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'no_matching_signature' };
}
