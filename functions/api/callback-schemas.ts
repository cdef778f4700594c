import * as z from '../shared/zod';
import {
  MAX_CUSTOM_HEADERS,
  MAX_HEADER_VALUE_LENGTH,
  REDACTED,
  type CallbackConfigProblem,
} from '../domain/webhooks/callback-config';
import { MAX_TEMPLATE_BYTES } from '../domain/webhooks/callback-template';

/** A callback endpoint's fields as the API takes and shows them (see callback-config.ts for what they mean). */

/** The `reasonCode` of a refused callback configuration (callback_config_invalid, callback_template_invalid). */
export const CALLBACK_REASON_CODES = [
  'header_not_allowed',
  'header_invalid',
  'too_many_headers',
  'auth_header_not_allowed',
  'not_a_callback_endpoint',
  'digest_not_supported',
  'template_too_large',
  'render_failed',
] as const satisfies readonly (CallbackConfigProblem['reasonCode'] | 'template_too_large' | 'render_failed')[];
export type CallbackReasonCode = (typeof CALLBACK_REASON_CODES)[number];

const secret = (what: string) =>
  z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(4096),
      z.describe(`${what}: sealed at rest, never shown again (reads show "${REDACTED}")`),
    );

export const callbackAuth = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('oauth2_client_credentials'),
      tokenUrl: z
        .url()
        .check(
          z.maxLength(2048),
          z.describe('The receiver’s token URL: https, checked by the SSRF guard like the URL'),
        ),
      clientId: z.string().check(z.minLength(1), z.maxLength(512)),
      clientSecret: secret('The client secret'),
      scope: z.optional(z.string().check(z.maxLength(1024))),
      audience: z.optional(z.string().check(z.maxLength(1024))),
      clientAuth: z
        ._default(z.enum(['basic', 'body']), 'basic')
        .check(
          z.describe('How the client authenticates to the token URL (RFC 6749 §2.3.1): HTTP Basic, or in the form'),
        ),
    }),
    z.strictObject({
      type: z.literal('header'),
      name: z.string().check(z.minLength(1), z.maxLength(64)),
      value: secret('The header value'),
    }),
  ])
  .check(z.describe('How the platform authenticates to the receiver (callback endpoints only)'));

export const callbackHeaders = z
  .record(z.string().check(z.minLength(1), z.maxLength(64)), z.string().check(z.maxLength(MAX_HEADER_VALUE_LENGTH)))
  .check(
    z.describe(
      `Headers sent with every call (callback endpoints only, at most ${MAX_CUSTOM_HEADERS}); Host, Content-Length, ` +
        'hop-by-hop, webhook-*, proxy-*, Cookie and x-correlation-id are refused, and Authorization when `auth` is set',
    ),
  );

export const callbackTemplate = z
  .unknown()
  .check(
    z.describe(
      `A json-e template (at most ${MAX_TEMPLATE_BYTES} bytes as JSON) rendered over ` +
        '{ event, tenantId, endpointId }: the body of each call (callback endpoints only; absent: the event as a ' +
        'webhook carries it)',
    ),
  );

/** The auth as reads show it: the secret redacted. */
export const callbackAuthView = z.record(z.string(), z.unknown());

/** What a preview is asked for: an event as given, or a sample of a type (by default the endpoint's first type). */
export const previewTarget = {
  eventType: z.optional(z.string().check(z.maxLength(128))),
  event: z.optional(z.record(z.string(), z.unknown())),
};

export const previewResponse = z.object({
  method: z.literal('POST'),
  url: z.string(),
  headers: z.record(z.string(), z.string()).check(z.describe('The headers; auth values show as [redacted]')),
  body: z.string().check(z.describe('The body exactly as it would be sent')),
  eventType: z.string(),
  sample: z.boolean().check(z.describe('The event was the catalogue’s sample of its type')),
});
