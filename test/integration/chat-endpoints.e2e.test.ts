import { configureReceiver, receivedHooks, twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * A Slack endpoint on the local twin (the sample receiver's /chat/<name> stands in for Slack: unsigned, answers
 * `ok`). The tenant's signed endpoint answers 410 and is disabled: the chat channel gets a readable message for
 * the earning and for `webhook.endpoint.disabled`; the disabled endpoint never gets the notice about itself.
 */
const twin = useTwin();

interface SlackBody {
  text: string;
  blocks: { type: string; text?: { text: string } }[];
}

describe('a chat endpoint on the local twin', () => {
  it('receives readable messages, a notice of another endpoint disabled among them', async () => {
    // Prepare: a Slack endpoint for points and webhook notices, and a signed endpoint that answers 410 Gone.
    const api = twinApi(twin);
    const chat = await api<{ subscriptionId: string; type: string; url: string; secret?: string }>(
      '/v1/webhooks/endpoints',
      {
        body: { type: 'slack', url: `${twin.receiverUrl}/chat/ops-channel`, eventTypes: ['points.*', 'webhook.*'] },
        idempotent: false,
      },
    );
    await configureReceiver(twin, 'gone-hook', { failure: { status: 410 } });
    const gone = await api<{ subscriptionId: string; secret: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/gone-hook`, eventTypes: ['*'] },
      idempotent: false,
    });
    await configureReceiver(twin, 'gone-hook', { secrets: [gone.body.secret] });
    const enrol = await api<{ memberId: string }>('/v1/members', { body: { externalId: `chat-${Date.now()}` } });

    // Act
    const earned = await api(`/v1/members/${enrol.body.memberId}/points/earn`, {
      body: { amountPoints: 25, reason: 'stay' },
    });
    const messages = await waitFor(
      async () => {
        const got = (await receivedHooks(twin, 'ops-channel')).map((h) => h.body as unknown as SlackBody);
        const titles = got.map((b) => b.text);
        return titles.some((t) => t.startsWith('points.earned')) &&
          titles.some((t) => t === `Webhook endpoint ${gone.body.subscriptionId} disabled`)
          ? got
          : undefined;
      },
      { timeoutMs: 60_000, what: 'the chat endpoint receiving the earning and the disabled notice' },
    );

    // Assess: the endpoint reads as Slack, its URL masked and no signing secret shown.
    expect(chat.status).toBe(201);
    expect(chat.body).toMatchObject({ type: 'slack', url: `${twin.receiverUrl}/…` });
    expect(chat.body.secret).toBeUndefined();
    expect(earned.status).toBe(201);
    const hooks = await receivedHooks(twin, 'ops-channel');
    expect(hooks.every((h) => h.answered === 200 && h.signature === undefined)).toBe(true);
    const disabled = messages.find((m) => m.text.startsWith('Webhook endpoint'));
    expect(disabled?.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    expect(disabled?.blocks[1]?.text?.text).toContain('it answered 410 Gone');
    const goneGot = (await receivedHooks(twin, 'gone-hook')).map((h) => h.body?.type);
    expect(goneGot).not.toContain('webhook.endpoint.disabled');
    console.log(`chat endpoint received:\n${messages.map((m) => `  ${m.text}`).join('\n')}`);
  }, 120_000);

  it('refuses a Slack endpoint whose URL is not a Slack incoming webhook', async () => {
    // Act
    const refused = await twinApi(twin)<{ code: string; reasonCode: string }>('/v1/webhooks/endpoints', {
      body: { type: 'slack', url: 'https://hooks.example.com/services/T/B/X', eventTypes: ['*'] },
      idempotent: false,
    });

    // Assess
    expect([refused.status, refused.body.code, refused.body.reasonCode]).toEqual([
      422,
      'webhook_url_rejected',
      'not_a_chat_webhook',
    ]);
  });
});
