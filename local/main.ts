import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { Twin } from './twin';
import { rawEvents } from '../functions/declaration/topology';
import { assertTwinNode } from './node-version';

// Before the twin loads (a dynamic import, so another Node's missing built-ins cannot fail first): the functions
// would run on this process's Node.
assertTwinNode();
const { startTwin } = await import('./twin');

/**
 * `npm start`: runs the platform locally and prints where everything is. `--json` prints one
 * JSON line instead of the banner (for harnesses) and takes commands on stdin (`acceptCommands`);
 * Ctrl-C or SIGTERM stops every child process.
 */
const { values } = parseArgs({
  options: {
    'in-memory': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    port: { type: 'string', default: process.env.PORT ?? '3000' },
    'receiver-port': { type: 'string', default: '3001' },
    'status-port': { type: 'string', default: '3002' },
    'lake-buffer-seconds': { type: 'string', default: '10' },
    'retry-base-ms': { type: 'string' },
    'schedule-seconds': { type: 'string', default: '10' },
    'log-level': { type: 'string', default: 'WARN' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`Usage: npm start -- [--in-memory] [--data-dir DIR] [--port 3000] [--receiver-port 3001]
       [--status-port 3002] [--lake-buffer-seconds 10] [--schedule-seconds 10] [--log-level WARN|INFO|DEBUG] [--json]`);
  process.exit(0);
}

function banner(twin: Twin, startedMs: number, lakeBufferSeconds: string, scheduleSeconds: string): string {
  const { apiUrl, demo } = twin;
  const h = `-H 'x-api-key: ${demo.apiKey}' -H 'content-type: application/json'`;
  const storage = twin.dataDir ? `data in ${twin.dataDir}` : 'in memory';
  return `
  Loyalty ledger — local twin ready in ${(startedMs / 1000).toFixed(1)} s  (${storage})

  API               ${apiUrl}          (OpenAPI: ${apiUrl}/openapi.json)
  Demo tenant       ${demo.tenantId}
  Demo API key      ${demo.apiKey}
  Operator key      ${demo.operatorKey}   (admin API: /admin/..., npm run admin)
  OAuth 2.0         ${apiUrl}/oauth2/token   (JWKS: ${apiUrl}/.well-known/jwks.json; clients: /v1/oauth-clients)
  Webhook receiver  ${twin.receiverUrl}/received   (endpoint ${demo.webhookUrl})
  Status page       ${twin.statusUrl}/   (the dashboard's panels, live; figures: ${twin.statusUrl}/status.json)
  Data lake folder  ${twin.lakeDir}
  DynamoDB Local    ${twin.endpoints.dynamodb}    SQS/S3 ${twin.endpoints.sqs}    Lambda API ${twin.endpoints.lambda}

  Try it:
    # 1. enrol a member
    curl -s ${apiUrl}/v1/members ${h} -H 'Idempotency-Key: enrol-alice-1' \\
      -d '{"externalId":"alice-001","email":"alice@example.com"}'
    # 2. credit points (use the memberId printed above)
    curl -s ${apiUrl}/v1/members/MEMBER_ID/points/earn ${h} -H 'Idempotency-Key: earn-alice-1' \\
      -d '{"amountPoints":250,"reason":"Hotel stay","source":"pms"}'
    # 3. see the signed webhooks arrive (verified: true)
    curl -s ${twin.receiverUrl}/received
    # 4. open the lake files (written every ${lakeBufferSeconds} s)
    find ${twin.lakeDir} -name '*.gz' | head; zcat $(find ${twin.lakeDir} -name '*.gz' | head -1)
    # 5. redeem, then read the balance (lots by expiry) and the ledger
    curl -s ${apiUrl}/v1/members/MEMBER_ID/points/redeem ${h} -H 'Idempotency-Key: redeem-alice-1' \\
      -d '{"amountPoints":100,"reason":"Spa voucher"}'
    curl -s ${apiUrl}/v1/members/MEMBER_ID/balance -H 'x-api-key: ${demo.apiKey}'
    curl -s ${apiUrl}/v1/members/MEMBER_ID/entries -H 'x-api-key: ${demo.apiKey}'
    # 6. an outage: the demo endpoint answers 500 once, the retry 5 s later lands; read the attempt log
    curl -s -X PUT ${twin.receiverUrl.replace(/\/$/, '')}/hooks/demo/failure -d '{"status":500,"times":1}'
    curl -s ${apiUrl}/v1/members/MEMBER_ID/points/earn ${h} -H 'Idempotency-Key: earn-alice-2' \\
      -d '{"amountPoints":50,"reason":"Late checkout"}'
    curl -s ${apiUrl}/v1/webhooks/endpoints/${demo.subscriptionId}/attempts -H 'x-api-key: ${demo.apiKey}'

  Scheduled housekeeping (holds, expiry, notices) and exports run every ${scheduleSeconds} s here (deployed: every
  minute); export files go to the S3 stand-in's bucket ${rawEvents.localBucketName} under exports/.

  Ctrl-C stops everything.
`;
}

/**
 * A harness's commands, one JSON line each on stdin, each answered by one line with its id:
 * `{"id":1,"advanceClockMs":60000}` moves the functions' clock forward → `{"id":1,"clockOffsetMs":60000}`.
 */
function acceptCommands(running: Twin) {
  createInterface({ input: process.stdin }).on('line', (line) => {
    let id: unknown = null;
    try {
      const command = JSON.parse(line) as { id: unknown; advanceClockMs?: number };
      id = command.id;
      console.log(JSON.stringify({ id, clockOffsetMs: running.clock.advance(command.advanceClockMs ?? 0) }));
    } catch (error) {
      console.log(JSON.stringify({ id, error: error instanceof Error ? error.message : String(error) }));
    }
  });
}

const started = performance.now();
let twin: Twin | undefined;
let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  if (!values.json) console.log('\n  Stopping the local twin…');
  await twin?.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  twin = await startTwin({
    inMemory: values['in-memory'],
    dataDir: values['data-dir'],
    apiPort: Number(values.port),
    receiverPort: Number(values['receiver-port']),
    statusPort: Number(values['status-port']),
    lakeBufferSeconds: Number(values['lake-buffer-seconds']),
    retryBaseDelayMs: values['retry-base-ms'] ? Number(values['retry-base-ms']) : undefined,
    scheduleSeconds: Number(values['schedule-seconds']),
    logLevel: values['log-level'] as 'WARN',
    logReceived: !values.json,
  });
  const elapsed = performance.now() - started;
  if (values.json) {
    console.log(
      JSON.stringify({
        ready: true,
        startedMs: Math.round(elapsed),
        apiUrl: twin.apiUrl,
        receiverUrl: twin.receiverUrl,
        statusUrl: twin.statusUrl,
        lakeDir: twin.lakeDir,
        demo: twin.demo,
        endpoints: twin.endpoints,
        functionEndpoints: twin.functionEndpoints,
        queueUrls: twin.queueUrls,
      }),
    );
    acceptCommands(twin);
  } else {
    console.log(banner(twin, elapsed, values['lake-buffer-seconds'], values['schedule-seconds']));
  }
} catch (error) {
  console.error('The local twin could not start:', error instanceof Error ? error.message : error);
  await shutdown(1);
}
