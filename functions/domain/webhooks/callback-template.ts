import jsone from 'json-e';
import type { LoyaltyEvent } from '../events';
import type { WebhookSubscription } from '../ports';
import { webhookBody } from './message';

/**
 * A callback endpoint's body: a json-e template rendered over the event. json-e has no `eval`, no I/O and no loops
 * but `$map`/`$reduce` over values that already exist, and its output is JSON by construction, so a tenant's
 * template cannot run code on the platform. The context is the event exactly as the endpoint's webhook body would
 * carry it (after its `payload`/`fields` minimisation: a template cannot reach what minimisation removed), plus the
 * tenant and endpoint ids. Sizes are capped on both sides; `range` is capped so a template cannot build a huge list.
 */

/** The template as JSON text, at most this long: endpoints are read for every message. */
export const MAX_TEMPLATE_BYTES = 16 * 1024;
/** A rendered body above this is a render failure: no receiver of a loyalty event expects more. */
export const MAX_RENDERED_BYTES = 256 * 1024;
/** `range(a, b)` lists at most this many numbers. */
export const MAX_RANGE_LENGTH = 1000;

/** A template that cannot render this event: a permanent failure for the message, never retried. */
export class CallbackRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CallbackRenderError';
  }
}

/** The names a template reads: `event` (the webhook body), `tenantId`, `endpointId`, and json-e's builtins. */
export function templateContext(
  event: LoyaltyEvent,
  subscription: Pick<WebhookSubscription, 'tenantId' | 'subscriptionId' | 'payload' | 'fields'>,
): Record<string, unknown> {
  return templateContextOf(JSON.parse(webhookBody(event, subscription)), subscription);
}

/** The context over a body already shaped as the webhook's (a ping's, say). */
export function templateContextOf(
  body: unknown,
  subscription: Pick<WebhookSubscription, 'tenantId' | 'subscriptionId'>,
): Record<string, unknown> {
  return {
    event: body,
    tenantId: subscription.tenantId,
    endpointId: subscription.subscriptionId,
    // The builtin allocates whatever it is asked for: this one refuses long lists.
    range: (start: unknown, stop: unknown, step: unknown = 1) => {
      if (![start, stop, step].every(Number.isInteger) || step === 0)
        throw new CallbackRenderError('range takes integers and a non-zero step');
      const length = Math.max(0, Math.ceil(((stop as number) - (start as number)) / (step as number)));
      if (length > MAX_RANGE_LENGTH) throw new CallbackRenderError(`range lists at most ${MAX_RANGE_LENGTH} numbers`);
      return Array.from({ length }, (_, i) => (start as number) + i * (step as number));
    },
  };
}

/** The template's size as stored JSON, in bytes. */
export const templateBytes = (template: unknown): number =>
  template === undefined ? 0 : Buffer.byteLength(JSON.stringify(template));

/**
 * Renders a template over a context: the body as JSON text. Throws `CallbackRenderError` with json-e's message (which
 * names the failing expression, never a secret: the context holds none) or when the result is too large.
 * @example renderTemplate({ points: { $eval: 'event.data.amountPoints' } }, context) // '{"points":120}'
 */
export function renderTemplate(template: unknown, context: Record<string, unknown>): string {
  let rendered: unknown;
  try {
    rendered = jsone(template as Record<string, unknown>, context);
  } catch (error) {
    if (error instanceof CallbackRenderError) throw error;
    const { name, message } = error as Error;
    throw new CallbackRenderError(`${name}: ${message}`.slice(0, 500));
  }
  // json-e renders a template that deletes itself (`$if` false at the top) as null: a body that says nothing.
  if (rendered === null || rendered === undefined) throw new CallbackRenderError('the template rendered nothing');
  const body = JSON.stringify(rendered);
  if (Buffer.byteLength(body) > MAX_RENDERED_BYTES)
    throw new CallbackRenderError(`the rendered body is over ${MAX_RENDERED_BYTES} bytes`);
  return body;
}

/**
 * The body a callback endpoint gets for an event: its template rendered, or without a template the event as the
 * webhook body carries it (unsigned).
 */
export function callbackBody(subscription: WebhookSubscription, event: LoyaltyEvent): string {
  if (subscription.template === undefined) return webhookBody(event, subscription);
  return renderTemplate(subscription.template, templateContext(event, subscription));
}
