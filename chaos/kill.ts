import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { sleep } from '../bench/harness';
import { freePort } from '../local/processes';
import { LakeWatcher } from '../local/lake-files';
import { WebhookReceiver } from '../local/webhook-receiver';
import { describe, measure, prefixed, type ScenarioResult } from './report';
import { answered, drain, progress, steadyLoad, stopOnInterrupt, sumOfEntries, toDelivery, type Sent } from './session';
import { tallyFailures, type Delivery } from './tally';

/**
 * `kill`: the twin runs as `npm start` does (its own process group, on a data dir) and is killed
 * with SIGKILL in the middle of load, JVM and all, then started again on its data and port.
 * Deliveries go to a receiver in this process, which outlives the kill. Afterwards every earn
 * that failed is sent again with its key, and each member's balance must equal the earns sent for
 * it and the sum of its entries (acknowledged earns survived); nothing may be lost or reordered,
 * and every committed event must reach the lake files (those the Firehose stand-in had acknowledged
 * but not written at the kill too: it spools them on the data dir, as Firehose keeps what it took).
 */
export interface KillSettings {
  members: number;
  /** Load before the kill, and after the restart. */
  loadMs: number;
  stallMs: number;
}

interface Attempt extends Sent {
  key: string;
}

const ROOT = resolve(import.meta.dirname, '..');

interface TwinProcess {
  child: ChildProcess;
  apiUrl: string;
  lakeDir: string;
  demo: { apiKey: string; operatorKey: string; tenantId: string };
  exited: Promise<void>;
}

/** Starts `local/main.ts --json` on `dataDir` and `port` in its own process group; resolves once it is ready. */
async function startTwinProcess(dataDir: string, port: number): Promise<TwinProcess> {
  const args = ['--data-dir', dataDir, '--port', String(port), '--receiver-port', '0', '--status-port', '0'];
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', '--json', ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    // Endpoints registered through the API reach the consumers at once.
    env: { ...process.env, SUBSCRIPTION_CACHE_TTL_MS: '0' },
  });
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      done();
    }),
  );
  const log: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  try {
    return await new Promise<TwinProcess>((ready, fail) => {
      const timer = setTimeout(() => {
        fail(new Error(`the twin did not start in 120 s:\n${log.join('')}`));
      }, 120_000);
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (!line.startsWith('{"ready"')) return;
        clearTimeout(timer);
        const info = JSON.parse(line) as Pick<TwinProcess, 'apiUrl' | 'lakeDir' | 'demo'>;
        ready({ child, apiUrl: info.apiUrl.replace(/\/+$/, ''), lakeDir: info.lakeDir, demo: info.demo, exited });
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`the twin exited (${code}) before it was ready:\n${log.join('')}`));
      });
    });
  } catch (error) {
    await stopGroup({ child, exited }, 'SIGKILL');
    throw error;
  }
}

/** Signals the twin's whole process group (its JVM and workers too) and waits for the twin to exit. */
async function stopGroup(twin: Pick<TwinProcess, 'child' | 'exited'>, signal: NodeJS.Signals): Promise<void> {
  if (twin.child.exitCode !== null || twin.child.signalCode !== null) return;
  const group = -twin.child.pid!;
  const send = (s: NodeJS.Signals) => {
    try {
      process.kill(group, s);
    } catch {
      // gone
    }
  };
  send(signal);
  const timer = setTimeout(() => {
    send('SIGKILL');
  }, 15_000);
  await twin.exited;
  clearTimeout(timer);
  // Whatever of the group outlived its leader (a JVM still stopping) goes too.
  send('SIGKILL');
}

export async function runKill(settings: KillSettings): Promise<ScenarioResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'loyalty-chaos-kill-'));
  const port = await freePort();
  const receiver = new WebhookReceiver();
  await receiver.start(0);
  const deliveries: Delivery[] = [];
  receiver.onReceive((hook) => deliveries.push(toDelivery(hook)));
  let twin: TwinProcess | undefined;
  const stopAll = async () => {
    if (twin) await stopGroup(twin, 'SIGTERM');
    await receiver.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const forget = stopOnInterrupt(stopAll);
  const attempts: Attempt[] = [];
  let phase = 'starting';
  const stop = progress('kill', () => `${phase}; ${attempts.length} earns sent`);
  try {
    twin = await startTwinProcess(dataDir, port);
    const apiUrl = twin.apiUrl;
    const headers = { 'x-api-key': twin.demo.apiKey, 'content-type': 'application/json' };
    const call = async (method: string, path: string, body?: unknown, extra: Record<string, string> = {}) =>
      fetch(`${apiUrl}${path}`, {
        method,
        headers: { ...headers, ...extra },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const limits = await call(
      'PATCH',
      `/admin/tenants/${twin.demo.tenantId}`,
      { limits: { requestsPerSecond: 10_000, burst: 20_000 } },
      { 'x-api-key': twin.demo.operatorKey, 'idempotency-key': 'chaos-kill' },
    );
    if (!limits.ok) throw new Error(`raising the demo tenant's limits answered ${limits.status}`);
    const registered = await call('POST', '/v1/webhooks/endpoints', {
      url: receiver.endpointUrl('chaos'),
      eventTypes: ['points.*'],
      description: 'chaos kill run',
    });
    const endpoint = (await registered.json()) as { secret?: string };
    if (registered.status !== 201 || !endpoint.secret)
      throw new Error(`registering the endpoint: ${registered.status}`);
    receiver.setSecrets('chaos', [endpoint.secret]);
    const run = Date.now();
    const members: string[] = [];
    for (let i = 0; i < settings.members; i++) {
      const enrolled = await call(
        'POST',
        '/v1/members',
        { externalId: `kill-${run}-${i}` },
        {
          'idempotency-key': `kill-${run}-m${i}`,
        },
      );
      members.push(((await enrolled.json()) as { memberId: string }).memberId);
    }
    const earn = async (memberId: string, key: string): Promise<Attempt> => {
      try {
        const response = await call(
          'POST',
          `/v1/members/${memberId}/points/earn`,
          { amountPoints: 1, reason: 'chaos' },
          {
            'idempotency-key': `kill-${run}-${key}`,
          },
        );
        return { ...(await answered(response, memberId)), key };
      } catch {
        return { status: 0, memberId, key };
      }
    };

    phase = 'load';
    const load = steadyLoad(members, 'k', earn, attempts);
    const { keysOf } = load;
    await sleep(settings.loadMs);
    phase = 'killed';
    const acknowledgedBeforeKill = attempts.filter((a) => a.status === 201).length;
    const killedAt = Date.now();
    await stopGroup(twin, 'SIGKILL');
    phase = 'restarting';
    twin = await startTwinProcess(dataDir, port);
    const backAt = Date.now();
    phase = 'load after restart';
    await sleep(settings.loadMs);
    await load.stop();

    phase = 'sending the failed ones again';
    const failed = attempts.filter((a) => a.status !== 201);
    const replays: Attempt[] = [];
    for (const a of failed) replays.push(await earn(a.memberId, a.key));
    const stillFailing = replays.filter((r) => r.status !== 201 && r.status !== 200).length;

    phase = 'checking balances';
    const session = {
      get: async (path: string) => {
        const response = await call('GET', path);
        return { status: response.status, body: await response.json() };
      },
    };
    const wrongBalances: string[] = [];
    for (const memberId of members) {
      const expected = keysOf.get(memberId)!.length;
      const balance = await session.get(`/v1/members/${memberId}/balance`);
      const available = (balance.body as { availablePoints: number }).availablePoints;
      const sum = await sumOfEntries(session, memberId);
      if (available !== expected || sum !== expected)
        wrongBalances.push(`${memberId}: balance ${available}, entries ${sum}, sent ${expected}`);
    }

    phase = 'waiting for deliveries';
    const seen = new Set<string>();
    const committed = [...attempts, ...replays].filter(
      (a) => a.eventId && (a.status === 201 || a.status === 200) && !seen.has(a.eventId) && seen.add(a.eventId),
    );
    const current = () => measure(committed, deliveries, ['chaos']);
    const waitedMs = await drain(
      { missing: () => current().lost, delivered: () => current().delivered },
      { stallMs: settings.stallMs, capMs: 15 * 60_000 },
    );
    phase = 'waiting for the lake';
    const lake = new LakeWatcher(join(twin.lakeDir, 'events'), twin.demo.tenantId);
    const lakeMissing = () => {
      lake.look();
      return committed.filter((a) => !lake.foundAt.has(a.eventId!)).length;
    };
    await drain(
      { missing: lakeMissing, delivered: () => lake.foundAt.size },
      { stallMs: settings.stallMs, capMs: 5 * 60_000 },
    );
    const inLake = committed.length - lakeMissing();
    const lakeDuplicates = [...lake.copies.values()].filter((copies) => copies > 1).length;
    const t = { ...current(), sent: attempts.length };
    return {
      figures: {
        ...prefixed('kill', t),
        kill_down_ms: backAt - killedAt,
        kill_acknowledged_before: acknowledgedBeforeKill,
        kill_retried: failed.length,
        kill_retries_failed: stillFailing,
        kill_wrong_balances: wrongBalances.length,
        kill_lake_events: inLake,
        kill_lake_missing: committed.length - inLake,
        kill_lake_duplicates: lakeDuplicates,
      },
      lines: [
        `kill (SIGKILL to the twin's process group after ${settings.loadMs} ms of load, ready again after ` +
          `${backAt - killedAt} ms): ${acknowledgedBeforeKill} earns acknowledged before the kill; ` +
          `${failed.length} failed earns sent again (${stillFailing} still failing); ` +
          `${wrongBalances.length} wrong balances of ${members.length} members`,
        `kill deliveries: ${describe(t)}` + (t.lost ? ` (gave up after ${waitedMs} ms)` : ''),
        `kill lake: ${inLake} of ${committed.length} committed events in the lake files, ` +
          `${committed.length - inLake} missing, ${lakeDuplicates} written twice`,
        ...wrongBalances.slice(0, 5).map((line) => `  wrong balance ${line}`),
      ],
      failures: [
        ...tallyFailures(t),
        ...(stillFailing ? [`${stillFailing} earns still failing after the restart`] : []),
        ...(wrongBalances.length ? [`${wrongBalances.length} wrong balances`] : []),
        ...(committed.length > inLake ? [`${committed.length - inLake} committed events not in the lake`] : []),
      ],
    };
  } finally {
    stop();
    forget();
    await stopAll();
  }
}
