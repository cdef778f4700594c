import type { LoyaltyEvent } from '../../functions/domain/events';
import { chatBody, chatNotice, slackEscape, teamsEscape } from '../../functions/domain/webhooks/chat-messages';
import { chatUrlProblem, maskedChatUrl } from '../../functions/domain/webhooks/endpoint-types';
import { WebhookFanOut } from '../../functions/domain/webhooks/fan-out';
import {
  activeWindow,
  addWindow,
  windowReceives,
  windowTimeBetween,
  type EndpointMaintenanceWindow,
} from '../../functions/domain/webhooks/maintenance-windows';
import {
  countingDeadLetters,
  crossesThreshold,
  endpointDisabledNotice,
  noticeSubject,
} from '../../functions/domain/webhooks/notices';
import type { DeliveryMessage } from '../../functions/domain/webhooks/message';
import { Problem } from '../../functions/shared/problem';
import {
  MemoryDeliveryLog,
  MemoryDeliveryQueue,
  MemoryDigestStore,
  MemoryEndpoints,
} from '../support/memory-webhook-ports';
import { testSubscription } from '../support/webhook-fixtures';

/**
 * Chat destinations and endpoint maintenance windows as pure rules: readable Slack and Teams messages per event
 * type (escaping what tenants and operators wrote), URL rules per endpoint type, webhook notices (who gets them,
 * when dead letters count as growing), and the bounds of a maintenance window.
 */
const NOW = new Date('2026-12-01T10:00:00.000Z');
const HOUR = 3_600_000;

const maintenance = (summary: string): LoyaltyEvent =>
  ({
    id: 'evt_m1',
    version: 1,
    tenantId: 't1',
    occurredAt: NOW.toISOString(),
    type: 'platform.maintenance.scheduled',
    data: {
      maintenanceId: 'pmw_1',
      summary,
      description: 'Database upgrade <b>tonight</b>',
      impact: 'degraded',
      startsAt: '2026-12-02T01:00:00.000Z',
      endsAt: '2026-12-02T02:00:00.000Z',
      status: 'scheduled',
    },
  }) as unknown as LoyaltyEvent;

describe('chat messages', () => {
  it('formats a platform maintenance notice for Slack as text and mrkdwn blocks, escaping user text', () => {
    // Act
    const body = JSON.parse(chatBody('slack', maintenance('Upgrade <!channel> & *more*'))) as {
      text: string;
      blocks: { type: string; text?: { type: string; text: string } }[];
    };

    // Assess
    expect(body.text).toBe('Platform maintenance scheduled: Upgrade &lt;!channel&gt; &amp; *more*');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    expect(body.blocks[0]?.text).toEqual({
      type: 'plain_text',
      text: 'Platform maintenance scheduled: Upgrade <!channel> & *more*',
      emoji: false,
    });
    const section = body.blocks[1]?.text?.text ?? '';
    expect(section).toContain('Database upgrade &lt;b&gt;tonight&lt;/b&gt;');
    expect(section).toContain('Impact: the API and deliveries may be slower.');
    expect(section).toContain('*Starts:* 2026-12-02T01:00:00.000Z');
    expect(section).not.toContain('<');
  });

  it('formats the same notice for Teams as an Adaptive Card in a message', () => {
    // Act
    const body = JSON.parse(chatBody('teams', maintenance('Upgrade [click](http://x) *now*'))) as {
      type: string;
      attachments: { contentType: string; content: { type: string; body: { type: string; text?: string }[] } }[];
    };

    // Assess
    expect(body.type).toBe('message');
    const card = body.attachments[0];
    expect(card?.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(card?.content.type).toBe('AdaptiveCard');
    expect(card?.content.body.map((b) => b.type)).toEqual([
      'TextBlock',
      'TextBlock',
      'TextBlock',
      'FactSet',
      'TextBlock',
    ]);
    expect(card?.content.body[0]?.text).toBe('Platform maintenance scheduled: Upgrade \\[click\\](http://x) \\*now\\*');
  });

  it('says why an endpoint was disabled and how many dead letters wait', () => {
    // Prepare
    const disabled = endpointDisabledNotice({
      tenantId: 't1',
      subscriptionId: 'sub_9',
      reason: 'gone',
      at: NOW,
      seq: 1,
    });
    const growing = {
      id: 'ntc_2',
      version: 1,
      tenantId: 't1',
      occurredAt: NOW.toISOString(),
      type: 'webhook.dead_letters.growing',
      data: { subscriptionId: 'sub_9', deadLetters: 100 },
    } as LoyaltyEvent;

    // Act
    const [a, b] = [chatNotice(disabled), chatNotice(growing)];

    // Assess
    expect(a.title).toBe('Webhook endpoint sub_9 disabled');
    expect(a.lines[0]).toContain('it answered 410 Gone');
    expect(b.title).toBe('Dead letters growing on webhook endpoint sub_9');
    expect(b.facts).toContainEqual(['Dead letters', '100']);
  });

  it('gives any other event one line, and a malformed notice the same fallback', () => {
    // Prepare
    const earned = { id: 'evt_1', type: 'points.earned', occurredAt: NOW.toISOString(), memberId: 'mem_1', seq: 3 };
    const odd = { id: 'evt_2', type: 'platform.maintenance.started', occurredAt: NOW.toISOString(), data: {} };

    // Act / Assess
    expect(chatNotice(earned as unknown as LoyaltyEvent)).toMatchObject({
      title: 'points.earned for member mem_1 (#3)',
      lines: [],
      facts: [],
    });
    expect(chatNotice(odd as unknown as LoyaltyEvent).title).toBe('platform.maintenance.started');
  });

  it('escapes for each tool', () => {
    expect(slackEscape('<@U1> & <http://x|y>')).toBe('&lt;@U1&gt; &amp; &lt;http://x|y&gt;');
    expect(teamsEscape('**bold** _i_ `c` <at>')).toBe('\\*\\*bold\\*\\* \\_i\\_ \\`c\\` &lt;at&gt;');
  });
});

describe('chat endpoint URLs', () => {
  it.each([
    ['slack', 'https://hooks.slack.com/services/T000/B000/XXXX', undefined],
    ['slack', 'https://hooks.slack.com/workflows/T000/A000/1/x', 'incoming webhook'],
    ['slack', 'http://hooks.slack.com/services/T000/B000/XXXX', 'https'],
    ['slack', 'https://evil.example/services/T/B/X', 'incoming webhook'],
    ['teams', 'https://contoso.webhook.office.com/webhookb2/abc', undefined],
    ['teams', 'https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke', undefined],
    ['teams', 'https://default1.environment.api.powerplatform.com/powerautomate/automations/direct/x', undefined],
    ['teams', 'https://webhook.office.com.evil.example/x', 'Teams'],
    ['webhook', 'https://anything.example/hook', undefined],
  ] as const)('%s %s', (type, url, problem) => {
    const found = chatUrlProblem(type, url, false);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it('lets a loopback URL stand in for a chat tool in the twin only', () => {
    expect(chatUrlProblem('slack', 'http://127.0.0.1:4000/chat/x', true)).toBeUndefined();
    expect(chatUrlProblem('slack', 'http://127.0.0.1:4000/chat/x', false)).toBeDefined();
  });

  it('masks the secret path of a chat URL', () => {
    expect(maskedChatUrl('https://hooks.slack.com/services/T0/B0/secret')).toBe('https://hooks.slack.com/…');
  });
});

describe('webhook notices', () => {
  it('sends a notice about an endpoint to the tenant’s other endpoints only', async () => {
    // Prepare
    const about = testSubscription({
      tenantId: 't1',
      subscriptionId: 'sub_a',
      createdAt: NOW.toISOString(),
      eventTypes: ['*'],
    });
    const chat = testSubscription({
      tenantId: 't1',
      subscriptionId: 'sub_chat',
      createdAt: NOW.toISOString(),
      eventTypes: ['webhook.*'],
      type: 'slack',
    });
    const endpoints = new MemoryEndpoints(
      new Map([
        [MemoryEndpoints.key('t1', 'sub_a'), about],
        [MemoryEndpoints.key('t1', 'sub_chat'), chat],
      ]),
    );
    const queue = new MemoryDeliveryQueue();
    const fanOut = new WebhookFanOut({ endpoints, queue, digests: new MemoryDigestStore(), clock: { now: () => NOW } });
    const notice = endpointDisabledNotice({
      tenantId: 't1',
      subscriptionId: 'sub_a',
      reason: 'failing',
      at: NOW,
      seq: 2,
    });

    // Act
    const matched = await fanOut.route(notice);

    // Assess
    expect(noticeSubject(notice)).toBe('sub_a');
    expect(matched).toBe(1);
    expect(queue.queued.map((m) => m.subscriptionId)).toEqual(['sub_chat']);
  });

  it('writes dead letters growing at each threshold crossing only', async () => {
    // Prepare
    const log = new MemoryDeliveryLog();
    let count = 0;
    const written: LoyaltyEvent[] = [];
    const counting = countingDeadLetters(
      log,
      { countDeadLetter: () => Promise.resolve(++count) },
      (event) => Promise.resolve(void written.push(event)),
      () => NOW,
    );
    const message = (i: number) =>
      ({
        tenantId: 't1',
        subscriptionId: 'sub_a',
        round: 0,
        event: { ...endpointDisabledNotice({ tenantId: 't1', subscriptionId: 'x', reason: 'gone', at: NOW, seq: i }) },
      }) as DeliveryMessage;

    // Act
    for (let i = 1; i <= 12; i++) await counting.markDead(message(i), NOW, 'endpoint_disabled');

    // Assess
    expect([crossesThreshold(9), crossesThreshold(10), crossesThreshold(100)]).toEqual([false, true, true]);
    expect(written).toEqual([
      expect.objectContaining({
        type: 'webhook.dead_letters.growing',
        data: { subscriptionId: 'sub_a', deadLetters: 10 },
      }),
    ]);
    expect(await counting.listDeadLetters('t1', 'sub_a', { limit: 50 })).toMatchObject({ items: expect.any(Array) });
  });
});

describe('maintenance window rules', () => {
  const at = (hours: number) => new Date(NOW.getTime() + hours * HOUR).toISOString();
  const window = (id: string, from: number, to: number): EndpointMaintenanceWindow => ({
    windowId: id,
    startsAt: at(from),
    endsAt: at(to),
    createdAt: NOW.toISOString(),
  });
  const refused = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      return (error as Problem).code;
    }
    return undefined;
  };

  it('is active from its start until (not including) its end', () => {
    const w = window('mw_1', 0, 2);
    expect(activeWindow([w], new Date(at(-0.01)))).toBeUndefined();
    expect(activeWindow([w], new Date(at(0)))).toBe(w);
    expect(activeWindow([w], new Date(at(2)))).toBeUndefined();
  });

  it('bounds windows: 48 h at most, a day apart, 5 not yet ended, in the future, 90 days ahead', () => {
    const five = [1, 2, 3, 4, 5].map((i) => window(`mw_${i}`, i * 72, i * 72 + 1));
    expect(refused(() => addWindow([], window('w', 0, 48.01), NOW))).toBe('validation_failed');
    expect(refused(() => addWindow([], window('w', -3, -1), NOW))).toBe('validation_failed');
    expect(refused(() => addWindow([], window('w', 91 * 24, 91 * 24 + 1), NOW))).toBe('validation_failed');
    expect(refused(() => addWindow([window('a', 10, 12)], window('w', 30, 31), NOW))).toBe('validation_failed');
    expect(refused(() => addWindow(five, window('w', 600, 601), NOW))).toBe('limit_exceeded');
    expect(addWindow([window('a', 80, 82)], window('w', 0, 48), NOW).map((w) => w.windowId)).toEqual(['w', 'a']);
  });

  it('counts the time and the receives a message spent inside windows', () => {
    const w = window('mw_1', 1, 49);
    expect(windowTimeBetween([w], NOW.getTime(), NOW.getTime() + 2 * HOUR)).toBe(HOUR);
    expect(windowReceives([w], NOW.getTime(), new Date(at(50)))).toBe(6);
    expect(windowReceives([w], NOW.getTime() + 50 * HOUR, new Date(at(51)))).toBe(0);
  });
});
