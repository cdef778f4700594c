import { randomBytes } from 'node:crypto';
import { lakeRecords } from '../../local/lake-files';
import { tenantTable } from '../support/tenant-fixtures';
import { configureReceiver, receivedHooks, twinApi } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/**
 * A batch on the twin, end to end: `POST /v1/batches` answers 202 at once, the commands go through the FIFO command
 * queue grouped by member and the batch worker applies them with the REST operations. Each member's commands apply
 * in order (balances after each step prove it), members in parallel; each result is what the REST call answers
 * (the REST retry with the same Idempotency-Key replays it); a command's own failure (validation, a business rule)
 * is a result, never retried; `batch.completed` reaches the webhook endpoint, the feed and the lake once; and the
 * batch POSTed again under its key is the same batch.
 */
const twin = useTwin(['--lake-buffer-seconds', '1']);

interface Command {
  type: string;
  idempotencyKey: string;
  memberId?: string;
  externalId?: string;
  body: Record<string, unknown>;
}
interface Result {
  index: number;
  type: string;
  idempotencyKey: string;
  statusCode: number;
  body: { code?: string; balance?: { availablePoints: number }; memberId?: string; instance?: string };
  memberId?: string;
}
interface Batch {
  batchId: string;
  status: string;
  counts: { total: number; succeeded: number; failed: number; pending: number };
  results: Result[];
  nextCursor?: string;
}

const REST_PATHS: Record<string, string> = { earn: 'points/earn', redeem: 'points/redeem', adjust: 'points/adjust' };

describe('batches', () => {
  it('applies mixed commands over many members in order per member, with REST results and one event', async () => {
    // Prepare: a tenant with an endpoint for batch.completed and five members enrolled through REST.
    const tenantId = `bat-${randomBytes(4).toString('hex')}`;
    const tenants = tenantTable(twin);
    const apiKey = await tenants.issueKey(tenantId);
    tenants.destroy();
    const api = twinApi({ apiUrl: twin.apiUrl, demo: { ...twin.demo, apiKey } });
    const receiver = `batches-${tenantId}`;
    const endpoint = await api<{ secret: string }>('/v1/webhooks/endpoints', {
      body: { url: `${twin.receiverUrl}/hooks/${receiver}`, eventTypes: ['batch.completed'] },
    });
    expect(endpoint.status).toBe(201);
    await configureReceiver(twin, receiver, { secrets: [endpoint.body.secret] });
    const members: string[] = [];
    for (let m = 0; m < 5; m++) {
      const enrolled = await api<{ memberId: string }>('/v1/members', { body: { externalId: `old-${m}-${tenantId}` } });
      members.push(enrolled.body.memberId);
    }
    const key = () => `cmd-${randomBytes(6).toString('hex')}`;
    const newExternalId = `new-${tenantId}`;
    const points = (type: string, to: Pick<Command, 'memberId' | 'externalId'>, amountPoints: number): Command => ({
      type,
      idempotencyKey: key(),
      ...to,
      body: { amountPoints, reason: 'batch' },
    });
    // Interleaved across members: each member's redeem of 60 succeeds only after both of its earnings (50 + 25).
    const commands: Command[] = [
      { type: 'enrol', idempotencyKey: key(), body: { externalId: newExternalId } },
      ...members.map((memberId) => points('earn', { memberId }, 50)),
      points('earn', { externalId: newExternalId }, 100),
      ...members.map((memberId) => points('earn', { memberId }, 25)),
      points('redeem', { externalId: newExternalId }, 30),
      ...members.map((memberId) => points('redeem', { memberId }, 60)),
      points('redeem', { memberId: members[0]! }, 1_000),
      points('earn', { memberId: members[1]! }, -5),
      points('adjust', { memberId: members[2]! }, 7),
      { type: 'updateProfile', idempotencyKey: key(), memberId: members[3]!, body: { firstName: 'Batched' } },
      points('earn', { externalId: `nobody-${tenantId}` }, 1),
    ];

    // Act
    const headers = { 'idempotency-key': `batch-${tenantId}`, 'x-correlation-id': `corr-${tenantId}` };
    const accepted = await api<Batch>('/v1/batches', { body: { commands }, headers });
    const again = await api<Batch>('/v1/batches', { body: { commands }, headers });
    const done = await waitFor(
      async () => {
        const { body } = await api<Batch>(`/v1/batches/${accepted.body.batchId}?limit=100`);
        return body.status === 'completed' ? body : undefined;
      },
      { timeoutMs: 60_000, what: 'the batch to complete' },
    );

    // Assess: accepted at once, the same batch under the same key.
    expect(accepted.status).toBe(202);
    expect(accepted.body.counts).toEqual({ total: commands.length, succeeded: 0, failed: 0, pending: commands.length });
    expect(again.status).toBe(202);
    expect(again.body.batchId).toBe(accepted.body.batchId);
    // Every command has its result, in command order; the failures are the commands' own.
    expect(done.results.map((r) => r.index)).toEqual(commands.map((_, i) => i));
    const failures = done.results.filter((r) => r.statusCode >= 400).map((r) => [r.statusCode, r.body.code]);
    expect(failures).toEqual([
      [422, 'insufficient_points'],
      [400, 'validation_failed'],
      [404, 'member_not_found'],
    ]);
    expect(done.counts).toEqual({ total: commands.length, succeeded: commands.length - 3, failed: 3, pending: 0 });
    // Per member order: the balances after each of its commands are those of applying them in order.
    const newMemberId = done.results[0]!.memberId;
    expect(done.results[0]).toMatchObject({ statusCode: 201, body: { memberId: newMemberId } });
    const balancesOf = (memberId: string | undefined) =>
      done.results
        .filter((r) => r.memberId === memberId && r.type in REST_PATHS && r.statusCode < 300)
        .map((r) => r.body.balance!.availablePoints);
    expect(balancesOf(newMemberId)).toEqual([100, 70]);
    for (const memberId of [members[0], members[1], members[3], members[4]])
      expect(balancesOf(memberId)).toEqual([50, 75, 15]);
    expect(balancesOf(members[2])).toEqual([50, 75, 15, 22]);
    // A profile update's result shows the member as a replay of its key does: as it is now (no profile data kept).
    const updated = done.results.find((r) => r.type === 'updateProfile')!;
    const member = await api(`/v1/members/${members[3]}`);
    expect(updated).toMatchObject({ statusCode: 200, memberId: members[3], body: member.body });
    expect(member.body).toMatchObject({ firstName: 'Batched' });
    // Each points result is the REST reply: the REST call with the command's key and body replays it.
    for (const result of done.results.filter((r) => r.type in REST_PATHS && r.memberId !== undefined)) {
      const command = commands[result.index]!;
      const rest = await api(`/v1/members/${result.memberId}/${REST_PATHS[command.type]}`, {
        body: command.body,
        headers: { 'idempotency-key': command.idempotencyKey },
      });
      expect({ index: result.index, status: rest.status, body: rest.body }).toEqual({
        index: result.index,
        status: result.statusCode,
        body: result.body,
      });
    }

    // batch.completed, once, on the webhook endpoint, in the feed and in the lake.
    const isOurs = (e: { type: string; data?: { batchId?: unknown } }) =>
      e.type === 'batch.completed' && e.data?.batchId === accepted.body.batchId;
    const hooks = await waitFor(
      async () => {
        const got = (await receivedHooks(twin, receiver)).filter((h) => h.body && isOurs(h.body));
        return got.length > 0 ? got : undefined;
      },
      { timeoutMs: 30_000, what: 'batch.completed at the endpoint' },
    );
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.verified).toBe(true);
    expect(hooks[0]!.body?.correlationId).toBe(`corr-${tenantId}`);
    expect(hooks[0]!.body?.data).toMatchObject({ total: commands.length, succeeded: commands.length - 3, failed: 3 });
    const inFeed = await waitFor(
      async () => {
        const feed = await api<{ items: { id: string; type: string; data: { batchId?: string } }[] }>(
          '/v1/events?type=batch.completed&limit=100',
        );
        const ours = feed.body.items.filter(isOurs);
        return ours.length > 0 ? ours : undefined;
      },
      { timeoutMs: 30_000, what: 'batch.completed in the feed' },
    );
    expect(inFeed).toHaveLength(1);
    const inLake = await waitFor(
      () => {
        const records = lakeRecords<{ type: string; data?: { batchId?: string } }>(twin.lakeDir, tenantId);
        const ours = records.filter(isOurs);
        return Promise.resolve(ours.length > 0 ? ours : undefined);
      },
      { timeoutMs: 30_000, what: 'batch.completed in the lake' },
    );
    expect(inLake).toHaveLength(1);

    // The batch POSTed again under its key, after it completed: the same batch, nothing applied again.
    const late = await api<Batch>('/v1/batches', { body: { commands }, headers });
    expect(late.status).toBe(202);
    expect(late.body).toMatchObject({ batchId: accepted.body.batchId, status: 'completed' });
    const balance = await api<{ availablePoints: number }>(`/v1/members/${members[4]}/balance`);
    expect(balance.body.availablePoints).toBe(15);
  });
});
