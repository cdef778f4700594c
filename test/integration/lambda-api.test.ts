import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
} from '@aws-sdk/client-lambda';
import type { FunctionId } from '../../functions/declaration/topology';
import { REGION } from '../../local/aws-local';
import { queueArnOfName } from '../../local/iam-requests';
import { LocalLambdaApi, type LocalMapping } from '../../local/lambda-api';
import { localFunctionArn, localPolicies, roleCredentials } from '../../local/roles';

/**
 * The twin's Lambda API checks what IAM would: a role may map only what its declared policy allows (the admin API:
 * tenants' inbound queues to the inbound worker, `lambda:FunctionArn`), and Lambda refuses a mapping whose function's
 * role may not receive from the queue. A mapping starts a poller at once and deleting it stops the poller.
 */
const started: string[] = [];
const stopped: string[] = [];
const api = new LocalLambdaApi({
  policies: localPolicies({ tableName: 'loyalty-ledger', tableStreamArn: 'arn:aws:dynamodb:us-east-1:0:table/t/s' }),
  pollers: {
    start: (mapping: LocalMapping) => {
      started.push(mapping.eventSourceArn);
      return Promise.resolve();
    },
    stop: (uuid) => {
      stopped.push(uuid);
      return Promise.resolve();
    },
  },
});
const clients: LambdaClient[] = [];
const clientOf = (id: FunctionId) => {
  const client = new LambdaClient({ region: REGION, endpoint: api.endpoint, credentials: roleCredentials(id) });
  clients.push(client);
  return client;
};

beforeAll(() => api.start());
afterAll(async () => {
  for (const client of clients) client.destroy();
  await api.stop();
});

const inboundQueue = queueArnOfName('loyalty-local-inbound-acme.fifo');
const create = (functionId: FunctionId, queueArn: string) =>
  new CreateEventSourceMappingCommand({
    EventSourceArn: queueArn,
    FunctionName: localFunctionArn(functionId),
    BatchSize: 10,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
  });

describe('the twin’s Lambda API', () => {
  it('lets the admin API map an inbound queue to the inbound worker, and delete the mapping', async () => {
    // Act
    const created = await clientOf('api').send(create('inboundWorker', inboundQueue));
    const listed = await clientOf('api').send(new ListEventSourceMappingsCommand({ EventSourceArn: inboundQueue }));
    await clientOf('api').send(new DeleteEventSourceMappingCommand({ UUID: created.UUID }));
    const after = await clientOf('api').send(new ListEventSourceMappingsCommand({ EventSourceArn: inboundQueue }));

    // Assess
    expect(listed.EventSourceMappings?.map((m) => m.UUID)).toEqual([created.UUID]);
    expect(started).toContain(inboundQueue);
    expect(stopped).toContain(created.UUID);
    expect(after.EventSourceMappings).toEqual([]);
  });

  it('refuses a mapping to another function, from another role, or of a queue the worker may not read', async () => {
    // Act + Assess: the admin API may map to the inbound worker only (lambda:FunctionArn).
    await expect(clientOf('api').send(create('batchWorker', inboundQueue))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    // No other role may map anything.
    await expect(clientOf('batchWorker').send(create('inboundWorker', inboundQueue))).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
    // The worker's role may not read the platform's own queues: Lambda refuses the mapping.
    await expect(
      clientOf('api').send(create('inboundWorker', queueArnOfName('batch-commands.fifo'))),
    ).rejects.toMatchObject({ name: 'InvalidParameterValueException' });
  });
});
