import { basename } from 'node:path';
import { CREDENTIALS, REGION } from '../../local/aws-local';
import { contractFetch } from '../support/twin-api';
import { useTwin } from '../support/twin-process';
import { runScript } from '../support/run-script';

/** `npm run smoke` against a running twin, as a platform engineer runs it against a deployment. */
const twin = useTwin(['--lake-buffer-seconds', '1']);

/** Runs the smoke script as a child process; resolves with its exit code and output. */
const smoke = (args: string[], env: Record<string, string> = {}) => runScript('scripts/smoke.ts', args, env);

/** The twin's demo key, a receiver endpoint that verifies signatures with the secret handed to it, and short waits. */
const twinArgs = (name: string) => [
  '--url',
  twin.apiUrl,
  '--key',
  twin.demo.apiKey,
  '--webhook-url',
  `${twin.receiverUrl}/hooks/${name}`,
  '--webhook-secret-to',
  `${twin.receiverUrl}/hooks/${name}/secrets`,
  '--webhook-timeout-seconds',
  '30',
  '--lake-timeout-seconds',
  '30',
  '--poll-seconds',
  '0.5',
];

const STEPS = [
  'register webhook endpoint',
  'enrol member',
  'let routers see the endpoint',
  'earn points',
  'webhook delivered (2xx)',
  'find event in lake',
  'delete webhook endpoint',
];

/** The step lines the script printed, in order, with their mark (✔ or ✘) and timing. */
const stepLines = (stdout: string) =>
  stdout
    .split('\n')
    .map((line) => /^([✔✘]) (.+?)\s+(\d+) ms {2}(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map(([, mark, name, , detail]) => ({ mark, name, detail }));

async function endpointsNamed(name: string) {
  const response = await contractFetch(`${twin.apiUrl}/v1/webhooks/endpoints`, {
    headers: { 'x-api-key': twin.demo.apiKey },
  });
  const { items } = (await response.json()) as { items: { url: string }[] };
  return items.filter((item) => item.url.endsWith(`/hooks/${name}`));
}

describe('the smoke script against the twin', () => {
  it('passes every step with the lake folder, and leaves no endpoint behind', async () => {
    // Act
    const run = await smoke([...twinArgs('smoke-dir'), '--lake-dir', twin.lakeDir]);

    // Assess
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stepLines(run.stdout);
    expect(lines.map((line) => line.name)).toEqual(STEPS);
    expect(lines.every((line) => line.mark === '✔')).toBe(true);
    const lakeLine = lines.find((line) => line.name === 'find event in lake')!;
    expect(lakeLine.detail).toMatch(/events\/tenant=demo\/date=[\d-]+\/hour=\d\d\/.*\.ndjson\.gz$/);
    expect(run.stdout).toMatch(/smoke: passed in [\d.]+ s/);
    expect(await endpointsNamed('smoke-dir')).toEqual([]);
  }, 90_000);

  it('passes with the lake read through the S3 API', async () => {
    // Prepare: the twin's S3 emulator holds the same objects under the raw-events bucket.
    const bucket = basename(twin.lakeDir);
    const { accessKeyId, secretAccessKey } = CREDENTIALS;
    const env = { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey };

    // Act
    const lake = ['--lake', `s3://${bucket}`, '--s3-endpoint', twin.endpoints.sqs];
    const run = await smoke([...twinArgs('smoke-s3'), ...lake], env);

    // Assess
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const lakeLine = stepLines(run.stdout).find((line) => line.name === 'find event in lake')!;
    expect(lakeLine.detail).toMatch(new RegExp(`^s3://${bucket}/events/tenant=demo/`));
  }, 90_000);

  it('fails at the first step with a wrong key, naming it', async () => {
    // Act
    const webhook = `${twin.receiverUrl}/hooks/x`;
    const args = ['--url', twin.apiUrl, '--key', 'llk_not-a-key', '--webhook-url', webhook, '--lake-dir', twin.lakeDir];
    const run = await smoke(args);

    // Assess
    expect(run.code).toBe(1);
    const failed = { mark: '✘', name: 'register webhook endpoint', detail: expect.stringContaining('answered 401') };
    expect(stepLines(run.stdout)).toEqual([failed]);
    expect(run.stderr).toContain('failed at register webhook endpoint: POST /v1/webhooks/endpoints answered 401');
  }, 30_000);

  it('fails when the receiver cannot verify the signature, and still deletes the endpoint', async () => {
    // Prepare: no --webhook-secret-to, so the receiver knows no secret and answers 401.
    const flag = '--webhook-secret-to';
    const args = twinArgs('smoke-unsigned').filter((arg, i, all) => arg !== flag && all[i - 1] !== flag);

    // Act
    const run = await smoke([...args, '--webhook-timeout-seconds', '4', '--lake-dir', twin.lakeDir]);

    // Assess
    expect(run.code).toBe(1);
    const lines = stepLines(run.stdout);
    const detail = expect.stringMatching(/within 4 s .*#1 401/);
    const failed = { mark: '✘', name: 'webhook delivered (2xx)', detail };
    expect(lines.at(-2)).toEqual(failed);
    expect(lines.at(-1)).toMatchObject({ mark: '✔', name: 'delete webhook endpoint' });
    expect(run.stderr).toContain('smoke: failed at webhook delivered (2xx)');
    expect(await endpointsNamed('smoke-unsigned')).toEqual([]);
  }, 60_000);
});
