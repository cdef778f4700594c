import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { dashboard } from '../../functions/declaration/dashboard';
import { ifStarted } from '../support/teardown';
import { configureReceiver, receivedHooks, twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * The twin's status page in a real headless Chromium: it shows every panel of the dashboard declaration, and its
 * figures move when traffic flows through the API: requests and latency, the functions' durations, the stream
 * consumers' iterator age, a delivery retrying on the delivery queue, records in and out of the lake; with the
 * functions' EMF metrics, earnings and webhook attempts by outcome too.
 */
const twin = useTwin(['--lake-buffer-seconds', '1']);
const api = twinApi(twin);

const BROWSER = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await puppeteer.launch({ executablePath: BROWSER, args: ['--no-sandbox', '--headless=new'] });
  page = await browser.newPage();
  await page.goto(`${twin.statusUrl}/`);
}, 60_000);

afterAll(async () => {
  await ifStarted(browser)?.close();
});

interface Figure {
  measured: boolean;
  value: number | null;
  text: string;
}

/** A series' row as the page shows it (undefined until the page has rendered it). */
async function figure(panel: string, series: string): Promise<Figure | undefined> {
  // JSON's string escapes are CSS's too: any title makes a valid attribute selector.
  const row = await page.$(`[data-panel=${JSON.stringify(panel)}] [data-series=${JSON.stringify(series)}]`);
  if (!row) return undefined;
  const shown = await row.evaluate((node) => ({
    measured: node.getAttribute('data-measured') === 'true',
    raw: node.querySelector('.value')?.getAttribute('data-value') ?? '',
    text: (node.textContent ?? '').trim(),
  }));
  return { measured: shown.measured, value: shown.raw === '' ? null : Number(shown.raw), text: shown.text };
}

/** Polls the page until the figure satisfies `moved`. */
async function until(panel: string, series: string, moved: (value: number) => boolean): Promise<number> {
  return waitFor(
    async () => {
      const shown = await figure(panel, series);
      return shown?.value !== null && shown?.value !== undefined && moved(shown.value) ? shown.value : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: `${series} on "${panel}" to move` },
  );
}

const REQUESTS = ['API requests and errors', 'api:Count:Sum'] as const;

describe('the local status page', () => {
  it('renders every section and panel of the dashboard declaration, each series measured', async () => {
    // Act
    await waitFor(async () => (await figure(...REQUESTS)) ?? undefined, {
      timeoutMs: 30_000,
      what: 'the page to render its figures',
    });
    const headings = await page.$$eval('h2', (nodes) => nodes.map((node) => node.textContent));
    const panels = await page.$$eval('h3', (nodes) => nodes.map((node) => node.textContent));

    // Assess
    expect(await page.$eval('h1', (node) => node.textContent)).toContain('local status');
    expect(headings).toEqual(dashboard.map((section) => section.title));
    expect(panels).toEqual(dashboard.flatMap((section) => section.panels.map((panel) => panel.title)));
    const throttles = await figure('Function throttles', 'function:Throttles:Sum:api');
    expect(throttles).toMatchObject({ measured: true, value: 0 });
    const dlq = await figure(
      'Delivery queue and DLQ depth',
      'queue:ApproximateNumberOfMessagesVisible:Maximum:webhookDeliveryDlq',
    );
    expect(dlq).toMatchObject({ measured: true });
  });

  it('moves its figures when a member enrols and earns and the webhooks and lake records flow', async () => {
    // Prepare: an endpoint on the twin's receiver that fails its first delivery, so a message waits to retry.
    const before = (await figure(...REQUESTS))?.value ?? 0;
    await configureReceiver(twin, 'status-page', { failure: { status: 500, times: 1 } });
    const endpoint = await api<{ subscriptionId: string; secret: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/status-page`, eventTypes: ['*'] },
      idempotent: false,
    });
    expect(endpoint.status).toBe(201);
    await configureReceiver(twin, 'status-page', { secrets: [endpoint.body.secret] });

    // Act
    const enrolled = await api<{ memberId: string }>('/v1/members', { body: { externalId: `status-${Date.now()}` } });
    expect(enrolled.status).toBe(201);
    const earned = await api(`/v1/members/${enrolled.body.memberId}/points/earn`, {
      body: { amountPoints: 250, reason: 'Hotel stay', source: 'pms' },
    });
    expect(earned.status).toBe(201);

    // Assess: each figure moves on the page.
    expect(await until(...REQUESTS, (requests) => requests >= before + 3)).toBeGreaterThanOrEqual(before + 3);
    await until('API latency (p50, p99, ms)', 'api:Latency:p99', (ms) => ms > 0);
    await until('Function duration (p99, ms)', 'function:Duration:p99:api', (ms) => ms > 0);
    const lag = 'Stream consumer lag (iterator age, max, ms)';
    await until(lag, 'function:IteratorAge:Maximum:webhookRouter', (ms) => ms >= 0);
    await until(lag, 'function:IteratorAge:Maximum:lakeRouter', (ms) => ms >= 0);
    const lake = 'Raw events to the lake: records in, delivered; freshness (s)';
    await until(lake, 'lake:IncomingRecords:Sum', (records) => records >= 2);
    await until(lake, 'lake:DeliveryToS3.Records:Sum', (records) => records >= 2);
    const queue = 'Delivery queue and DLQ depth';
    await until(queue, 'queue:ApproximateNumberOfMessagesNotVisible:Maximum:webhookDelivery', (n) => n >= 1);
    await until('Function duration (p99, ms)', 'function:Duration:p99:webhookDelivery', (ms) => ms > 0);
    // The retry delivered: the endpoint answered 500 once, then took the message.
    await waitFor(
      async () => {
        const hooks = await receivedHooks(twin, 'status-page');
        return hooks.some((hook) => hook.answered === 500) && hooks.some((hook) => hook.verified) ? hooks : undefined;
      },
      { timeoutMs: 60_000, what: 'the retried delivery' },
    );
    await until('Earns and points earned per minute', 'platform:EarnTransactions:Sum', (n) => n >= 1);
    await until('Earns and points earned per minute', 'platform:PointsEarned:Sum', (points) => points >= 250);
    const attempts = 'Webhook attempts per minute: delivered vs failed';
    await until(attempts, 'platform:AttemptsFailed:Sum', (n) => n >= 1);
    await until(attempts, 'platform:AttemptsDelivered:Sum', (n) => n >= 1);
  }, 180_000);
});
