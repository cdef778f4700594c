import { loyaltyEvent, type LoyaltyEvent } from '../domain/events';
import type { WebhookSubscription } from '../domain/ports';
import { callbackConfigProblem, callbackHeaders, redactedAuth, REDACTED } from '../domain/webhooks/callback-config';
import {
  CallbackRenderError,
  MAX_TEMPLATE_BYTES,
  templateBytes,
  templateContext,
  renderTemplate,
} from '../domain/webhooks/callback-template';
import { eventBodyFor } from '../domain/webhooks/chat-messages';
import { endpointTypeOf, isCallbackEndpoint, isChatEndpoint, maskedChatUrl } from '../domain/webhooks/endpoint-types';
import { sampleEvent, samplesFor } from '../domain/webhooks/sample-events';
import { checkWebhookTarget } from '../domain/webhooks/ssrf-guard';
import { Problem } from '../shared/problem';
import type { Services } from './operation-kit';

/**
 * The API side of callback endpoints: what is checked before an endpoint is stored (the deny list, the token URL
 * through the SSRF guard, the template rendered against a sample of every subscribed type), how reads show their
 * configuration (secrets redacted), and the preview of the request the sender would make.
 */

const CALLBACK_FIELDS = ['auth', 'headers', 'template'] as const;

/**
 * Refuses a configuration that cannot be stored, before anything is written: 422 `callback_config_invalid`,
 * `callback_token_url_rejected` or `callback_template_invalid`, each with a stable `reasonCode`.
 * `tokenUrlChanged`: the SSRF guard resolves the token URL only when it is new (a PATCH of headers alone does not
 * depend on DNS).
 */
export async function requireValidCallback(
  services: Services,
  subscription: WebhookSubscription,
  tokenUrlChanged: boolean,
): Promise<void> {
  if (!isCallbackEndpoint(subscription)) {
    const field = CALLBACK_FIELDS.find((name) => subscription[name] !== undefined);
    if (field)
      throw new Problem('callback_config_invalid', `${field} is for callback endpoints ("type": "callback") only`, {
        reasonCode: 'not_a_callback_endpoint',
        path: field,
      });
    return;
  }
  if (subscription.digest)
    throw new Problem('callback_config_invalid', 'A callback endpoint gets one call per event: no digest', {
      reasonCode: 'digest_not_supported',
      path: 'digest',
    });
  const problem = callbackConfigProblem(subscription);
  if (problem)
    throw new Problem('callback_config_invalid', `${problem.path}: ${problem.reason}`, {
      reasonCode: problem.reasonCode,
      path: problem.path,
    });
  if (subscription.auth?.type === 'oauth2_client_credentials' && tokenUrlChanged) {
    const check = await checkWebhookTarget(subscription.auth.tokenUrl, {
      allowLoopbackHttp: services.allowLoopbackHttp,
      resolver: services.resolver,
    });
    if (!check.ok) throw new Problem('callback_token_url_rejected', check.reason, { reasonCode: check.code });
    subscription.auth = { ...subscription.auth, tokenUrl: check.url.toString() };
  }
  requireRenderableTemplate(subscription);
}

/** The template fits and renders for a sample of every event type the endpoint is subscribed to. */
function requireRenderableTemplate(subscription: WebhookSubscription) {
  const { template } = subscription;
  if (template === undefined) return;
  if (templateBytes(template) > MAX_TEMPLATE_BYTES)
    throw new Problem('callback_template_invalid', `The template is over ${MAX_TEMPLATE_BYTES} bytes as JSON`, {
      reasonCode: 'template_too_large',
    });
  for (const event of samplesFor(subscription.eventTypes, subscription.tenantId)) {
    try {
      renderTemplate(template, templateContext(event, subscription));
    } catch (error) {
      if (!(error instanceof CallbackRenderError)) throw error;
      throw new Problem('callback_template_invalid', `On a sample ${event.type} event: ${error.message}`, {
        reasonCode: 'render_failed',
        eventType: event.type,
      });
    }
  }
}

/** What reads show of a callback endpoint: its auth without the secret, its headers and template. */
export const callbackView = (subscription: WebhookSubscription) => ({
  ...(subscription.auth ? { auth: redactedAuth(subscription.auth) } : {}),
  ...(subscription.headers ? { headers: subscription.headers } : {}),
  ...(subscription.template !== undefined ? { template: subscription.template } : {}),
});

/**
 * The event a preview renders: the one given (validated as a catalogue event), or the sample of the type asked for
 * (by default the first catalogue type the endpoint is subscribed to).
 */
export function previewEvent(
  subscription: WebhookSubscription,
  request: { eventType?: string; event?: Record<string, unknown> },
): { event: LoyaltyEvent; sample: boolean } {
  if (request.event) {
    const parsed = loyaltyEvent.safeParse({ tenantId: subscription.tenantId, ...request.event });
    if (!parsed.success)
      throw new Problem('validation_failed', 'The event is not an event of the catalogue', {
        errors: parsed.error.issues.map((issue) => ({
          path: ['event', ...issue.path].join('.'),
          message: issue.message,
        })),
      });
    return { event: parsed.data, sample: false };
  }
  const event = request.eventType
    ? sampleEvent(request.eventType, subscription.tenantId)
    : samplesFor(subscription.eventTypes, subscription.tenantId)[0];
  if (!event)
    throw new Problem('validation_failed', `No event type ${request.eventType ?? 'the endpoint is subscribed to'}`, {
      errors: [{ path: 'eventType', message: 'not a type of the event catalogue' }],
    });
  return { event, sample: true };
}

/**
 * The request the sender would make for an event, nothing sent: a callback's headers with its auth redacted, a
 * webhook's signature headers redacted, and the body exactly as rendered. A template that fails on the event is a
 * 422 `callback_template_invalid`, as it would be a dead letter on delivery.
 */
export function previewRequest(subscription: WebhookSubscription, event: LoyaltyEvent) {
  let body: string;
  try {
    body = eventBodyFor(subscription, event);
  } catch (error) {
    if (!(error instanceof CallbackRenderError)) throw error;
    throw new Problem('callback_template_invalid', `On this ${event.type} event: ${error.message}`, {
      reasonCode: 'render_failed',
      eventType: event.type,
    });
  }
  const type = endpointTypeOf(subscription);
  const headers =
    type === 'callback'
      ? callbackHeaders({ settings: subscription, ...(subscription.auth ? { authValue: REDACTED } : {}) })
      : {
          'content-type': 'application/json',
          'user-agent': 'LoyaltyLedger-Webhooks/1.0',
          ...(type === 'webhook'
            ? { 'webhook-id': event.id, 'webhook-timestamp': REDACTED, 'webhook-signature': REDACTED }
            : {}),
        };
  return {
    method: 'POST' as const,
    url: isChatEndpoint(subscription) ? maskedChatUrl(subscription.url) : subscription.url,
    headers,
    body,
    eventType: event.type,
  };
}
