import * as z from '../../shared/zod';
import type { LoyaltyEvent } from '../events';
import type { WebhookSubscription } from '../ports';
import { callbackBody } from './callback-template';
import { endpointTypeOf } from './endpoint-types';
import { digestBody, webhookBody, type DigestRef } from './message';

/**
 * Readable messages for chat endpoints (Slack and Microsoft Teams incoming webhooks) instead of raw
 * signed events. Each event type has a pure formatter to a `ChatNotice` (title, lines, facts, all
 * plain text); a renderer per tool turns it into that tool's payload, escaping every piece of text
 * (tenants and operators write summaries and reasons: none may mention @channel or inject links).
 */

/** What a chat message says, in plain text: the renderers escape it for their tool. */
export interface ChatNotice {
  title: string;
  lines: string[];
  facts: [name: string, value: string][];
  /** The event's type, id and time, small under the message. */
  context: string;
}

/** An event as the formatters read it: MAINT's and future types included, whatever the catalogue knows. */
interface AnyEvent {
  id: string;
  type: string;
  occurredAt: string;
  data?: unknown;
  memberId?: string;
  seq?: number;
}

/** The contract's platform maintenance payload (`platform.maintenance.*`). */
const maintenanceData = z.object({
  maintenanceId: z.string(),
  summary: z.string(),
  description: z.optional(z.string()),
  impact: z.enum(['none', 'degraded', 'unavailable']),
  startsAt: z.string(),
  endsAt: z.string(),
  status: z.string(),
});
const endpointDisabledData = z.object({ subscriptionId: z.string(), reason: z.string(), disabledAt: z.string() });
const deadLettersData = z.object({ subscriptionId: z.string(), deadLetters: z.number() });
const batchData = z.object({ batchId: z.string(), total: z.number(), succeeded: z.number(), failed: z.number() });

const MAINTENANCE_HEADLINES: Record<string, string> = {
  'platform.maintenance.scheduled': 'Platform maintenance scheduled',
  'platform.maintenance.started': 'Platform maintenance started',
  'platform.maintenance.completed': 'Platform maintenance completed',
  'platform.maintenance.cancelled': 'Platform maintenance cancelled',
};
const IMPACT: Record<string, string> = {
  none: 'no impact expected',
  degraded: 'the API and deliveries may be slower',
  unavailable: 'the API and deliveries are unavailable',
};

const contextOf = (event: AnyEvent) => `${event.type} · ${event.id} · ${event.occurredAt}`;

/**
 * The readable form of an event: maintenance notices, an endpoint disabled, dead letters growing, a batch completed,
 * and one line for any other type.
 * @example chatNotice(event).title // 'Platform maintenance scheduled: Database upgrade'
 */
export function chatNotice(event: AnyEvent): ChatNotice {
  const context = contextOf(event);
  const headline = MAINTENANCE_HEADLINES[event.type];
  const maintenance = headline ? maintenanceData.safeParse(event.data) : undefined;
  if (headline && maintenance?.success) {
    const d = maintenance.data;
    return {
      title: `${headline}: ${d.summary}`,
      lines: [...(d.description ? [d.description] : []), `Impact: ${IMPACT[d.impact] ?? d.impact}.`],
      facts: [
        ['Starts', d.startsAt],
        ['Ends', d.endsAt],
        ['Status', d.status],
        ['Maintenance id', d.maintenanceId],
      ],
      context,
    };
  }
  const disabled = event.type === 'webhook.endpoint.disabled' ? endpointDisabledData.safeParse(event.data) : undefined;
  if (disabled?.success) {
    const d = disabled.data;
    const why = d.reason === 'gone' ? 'it answered 410 Gone' : 'it failed for longer than the platform allows';
    return {
      title: `Webhook endpoint ${d.subscriptionId} disabled`,
      lines: [
        `The platform disabled the endpoint: ${why}. Its messages wait as dead letters; ` +
          'enable it again and redrive them once it is fixed.',
      ],
      facts: [
        ['Endpoint', d.subscriptionId],
        ['Disabled at', d.disabledAt],
      ],
      context,
    };
  }
  const growing = event.type === 'webhook.dead_letters.growing' ? deadLettersData.safeParse(event.data) : undefined;
  if (growing?.success) {
    const d = growing.data;
    return {
      title: `Dead letters growing on webhook endpoint ${d.subscriptionId}`,
      lines: [`The endpoint now holds ${d.deadLetters} dead letters. Fix the endpoint, then redrive them.`],
      facts: [
        ['Endpoint', d.subscriptionId],
        ['Dead letters', String(d.deadLetters)],
      ],
      context,
    };
  }
  const batch = event.type === 'batch.completed' ? batchData.safeParse(event.data) : undefined;
  if (batch?.success) {
    const d = batch.data;
    return {
      title: `Batch ${d.batchId} completed: ${d.succeeded} of ${d.total} commands succeeded`,
      lines:
        d.failed > 0
          ? [
              `${d.failed} ${d.failed === 1 ? 'command was' : 'commands were'} refused (validation or a business ` +
                `rule): see GET /v1/batches/${d.batchId}.`,
            ]
          : [],
      facts: [
        ['Batch', d.batchId],
        ['Succeeded', String(d.succeeded)],
        ['Failed', String(d.failed)],
      ],
      context,
    };
  }
  if (event.type === 'webhook.ping')
    return {
      title: 'Test message: this channel receives the loyalty platform’s notices',
      lines: [],
      facts: [],
      context,
    };
  const member = event.memberId ? ` for member ${event.memberId}${event.seq ? ` (#${event.seq})` : ''}` : '';
  return { title: `${event.type}${member}`, lines: [], facts: [], context };
}

/** Slack mrkdwn: `&`, `<` and `>` are the characters Slack asks to escape (no mentions, no links from text). */
export const slackEscape = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Teams card markdown: emphasis, code and link punctuation escaped, angle brackets and `&` as entities. */
export const teamsEscape = (text: string): string =>
  text
    .replace(/[\\`*_[\]~]/g, (c) => `\\${c}`)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;');

/** Slack header blocks hold at most 150 characters. */
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** A Slack incoming webhook payload: `text` (the notification's fallback) and blocks in mrkdwn. */
export function slackMessage(notice: ChatNotice) {
  const body = [
    ...notice.lines.map(slackEscape),
    ...notice.facts.map(([name, value]) => `*${slackEscape(name)}:* ${slackEscape(value)}`),
  ].join('\n');
  return {
    text: slackEscape(notice.title),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(notice.title, 150), emoji: false } },
      ...(body ? [{ type: 'section', text: { type: 'mrkdwn', text: clip(body, 3000) } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(notice.context) }] },
    ],
  };
}

/**
 * A Teams payload: an Adaptive Card in a `message`, which both Workflows webhooks and the older Office connector
 * incoming webhooks accept.
 */
export function teamsMessage(notice: ChatNotice) {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: teamsEscape(notice.title), weight: 'Bolder', size: 'Medium', wrap: true },
            ...notice.lines.map((line) => ({ type: 'TextBlock', text: teamsEscape(line), wrap: true })),
            ...(notice.facts.length
              ? [
                  {
                    type: 'FactSet',
                    facts: notice.facts.map(([title, value]) => ({
                      title: teamsEscape(title),
                      value: teamsEscape(value),
                    })),
                  },
                ]
              : []),
            { type: 'TextBlock', text: teamsEscape(notice.context), isSubtle: true, size: 'Small', wrap: true },
          ],
        },
      },
    ],
  };
}

/**
 * The body a chat endpoint gets for an event, or for a digest window (one message counting its events).
 * @example chatBody('slack', event) // '{"text":"…","blocks":[…]}'
 */
export function chatBody(type: 'slack' | 'teams', subject: AnyEvent | { digestOf: AnyEvent[]; id: string }): string {
  const notice =
    'digestOf' in subject
      ? {
          title: `${subject.digestOf.length} events`,
          lines: subject.digestOf.slice(0, 20).map((event) => chatNotice(event).title),
          facts: [],
          context: `webhook.digest · ${subject.id}`,
        }
      : chatNotice(subject);
  return JSON.stringify(type === 'slack' ? slackMessage(notice) : teamsMessage(notice));
}

/** The body an endpoint gets for one event: the event shaped for it, or for a chat endpoint a readable message. */
export function eventBodyFor(subscription: WebhookSubscription, event: LoyaltyEvent): string {
  const type = endpointTypeOf(subscription);
  if (type === 'callback') return callbackBody(subscription, event);
  return type === 'webhook' ? webhookBody(event, subscription) : chatBody(type, event);
}

/** The body an endpoint gets for a digest window. */
export function digestBodyFor(
  subscription: WebhookSubscription,
  input: { tenantId: string; subscriptionId: string; digest: DigestRef; events: LoyaltyEvent[]; id: string },
): string {
  const type = endpointTypeOf(subscription);
  // A callback endpoint takes no digest (the API refuses one): were it given one, it gets the webhook digest.
  if (type === 'slack' || type === 'teams') return chatBody(type, { digestOf: input.events, id: input.id });
  return digestBody({ ...input, shape: subscription });
}
