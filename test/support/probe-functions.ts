import { fileURLToPath } from 'node:url';
import { functions, type FunctionId } from '../../functions/declaration/topology';
import { functionEnvironment } from '../../local/function-environment';
import type { LocalFunction } from '../../local/lambda';

/**
 * A twin function with a probe handler standing in for its code, in its declared environment: resources and
 * endpoints that point nowhere, since a probe reaches no service.
 */

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const targets = {
  table: 'local-table',
  queueUrl: (queue: string) => `http://127.0.0.1:1/000000000000/${queue}`,
  rawEventsStream: 'local-stream',
  secretsKey: 'local:test-key',
  tenantThrottling: 'local',
  apiBaseUrl: 'http://127.0.0.1:1',
  tokenSigningKey: 'local:unused',
  tokenPublicKeys: 'local:unused',
  lakeBucket: 'local-bucket',
  functionArn: (id: string) => `arn:aws:lambda:us-east-1:000000000000:function:local-${id}`,
  importsBucket: 'local-imports',
};

/** Where the probes' SDK clients would go: closed ports. */
export const probeEndpoints = {
  dynamodb: 'http://127.0.0.1:2',
  sqs: 'http://127.0.0.1:3',
  firehose: 'http://127.0.0.1:4',
  s3: 'http://127.0.0.1:5',
};

export function probeFunction(
  id: FunctionId,
  probe: string,
  options: { timeoutSeconds?: number; overrides?: Record<string, string | undefined> } = {},
): LocalFunction {
  const { timeoutSeconds, overrides } = options;
  return {
    spec: { ...functions[id], entry: probe, handler: 'handler', ...(timeoutSeconds ? { timeoutSeconds } : {}) },
    environment: functionEnvironment(id, {
      targets,
      endpoints: probeEndpoints,
      logLevel: 'WARN',
      ...(overrides ? { overrides } : {}),
    }),
  };
}
