import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { checkContract } from '../support/api-contract';
import { rawRequest } from '../support/raw-http';
import { receivedHooks } from '../support/twin-api';
import { useTwin, waitFor } from '../support/twin-process';

/** Defects found by calling the running twin from outside, checked over raw HTTP. */
const twin = useTwin(['--lake-buffer-seconds', '1']);

/** A request sent byte for byte as written (fetch would re-encode a malformed path); the answer is contract-checked. */
async function raw(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const answer = await rawRequest(twin.apiUrl, {
    method,
    path,
    body,
    headers: { 'x-api-key': twin.demo.apiKey, 'content-type': 'application/json', ...headers },
  });
  checkContract({
    method,
    path,
    status: answer.status,
    contentType: answer.headers['content-type'] ?? null,
    text: answer.body,
  });
  return answer;
}

/** Every raw line of the lake's gzip NDJSON files, with its file. */
function lakeLines(dir: string): { file: string; line: string }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ndjson.gz'))
    .flatMap((name) => {
      const file = join(dir, name);
      return gunzipSync(readFileSync(file))
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => ({ file, line }));
    });
}

describe('the API edge on the local twin', () => {
  it('refuses a lone surrogate escape with 400 and no event, webhook or lake line carries it', async () => {
    // Prepare
    const run = `${process.pid}-${Date.now()}`;
    const enrol = await raw('POST', '/v1/members', JSON.stringify({ externalId: `wf-${run}` }), {
      'idempotency-key': `wf-enrol-${run}`,
    });
    expect(enrol.status).toBe(201);
    const { memberId } = JSON.parse(enrol.body) as { memberId: string };

    // Act: the report's exact body (the escape as JSON text), then a good earn as a barrier.
    const bad = await raw(
      'POST',
      `/v1/members/${memberId}/points/earn`,
      '{"amountPoints":100,"reason":"bad \\ud800 text"}',
      {
        'idempotency-key': `wf-bad-${run}`,
      },
    );
    const good = await raw('POST', `/v1/members/${memberId}/points/earn`, '{"amountPoints":7,"reason":"good text"}', {
      'idempotency-key': `wf-good-${run}`,
    });

    // Assess: refused as problem+json, nothing committed for it.
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(bad.body)).toMatchObject({ code: 'validation_failed', errors: [{ path: 'reason' }] });
    expect(good.status).toBe(201);

    // Assess: once the later event has landed, the member's events are enrolled + the good earn, gap-free.
    const lines = await waitFor(
      () => {
        const mine = lakeLines(twin.lakeDir).filter(({ line }) => line.includes(memberId));
        return Promise.resolve(mine.length >= 2 ? mine : undefined);
      },
      { timeoutMs: 20_000, what: 'the lake lines of the member' },
    );
    const events = lines.map(
      ({ line }) => JSON.parse(line) as { seq: number; type: string; data: { reason?: string } },
    );
    expect(events.map((e) => [e.seq, e.type]).sort()).toEqual([
      [1, 'member.enrolled'],
      [2, 'points.earned'],
    ]);
    expect(events.find((e) => e.seq === 2)!.data.reason).toBe('good text');
    for (const { line } of lines) expect(line).not.toMatch(/\\ud[89a-f]/i);
    const hooks = await waitFor(
      async () => {
        const mine = (await receivedHooks(twin)).filter((hook) => hook.body?.memberId === memberId);
        return mine.length >= 2 ? mine : undefined;
      },
      { timeoutMs: 20_000, what: 'the webhooks of the member' },
    );
    expect(hooks.map((hook) => hook.body?.seq)).toEqual([1, 2]);
    const balance = JSON.parse((await raw('GET', `/v1/members/${memberId}/balance`)).body);
    expect(balance).toMatchObject({ availablePoints: 7, seq: 2 });
  });

  it('answers a malformed percent-encoding in the path with a 400 problem, as API Gateway does', async () => {
    // Act
    const answer = await raw('GET', '/v1/members/%zz');

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'bad_request', status: 400 });
  });
});
