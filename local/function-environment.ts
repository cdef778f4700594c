import { SETTING_NAMES } from '../functions/composition/config';
import {
  functions,
  platformEnvironment,
  resolveEnvironment,
  type FunctionId,
  type ResourceTargets,
} from '../functions/declaration/topology';
import { REGION } from './aws-local';
import { functionName, roleCredentials } from './roles';

/** What the twin tells functions of their container's concurrency (it sets no limit of its own). */
const TWIN_INVOCATIONS_PER_CONTAINER = 64;

/** Variables declared as resources by any function: never passed on from the twin's own environment. */
const DECLARED = new Set(Object.values(functions).flatMap((spec) => Object.keys(spec.environment)));

/**
 * Settings a deployment may give any function (retry schedule, cache TTLs, timeouts): an override
 * in the twin's environment (as tests and demos set them) reaches every function. Resource variables
 * and the platform's own are not among them, so no function sees another's resources.
 */
const TUNABLES = SETTING_NAMES.filter(
  (name) => !DECLARED.has(name) && !(name in platformEnvironment('local')) && name !== 'WEBHOOK_ALLOW_LOOPBACK_HTTP',
);

export interface TwinEndpoints {
  dynamodb: string;
  sqs: string;
  firehose: string;
  s3: string;
  /** The Lambda API stand-in (event-source mappings), when the twin runs one. */
  lambda?: string;
}

/**
 * The whole environment one function runs with on the twin, as Lambda would give it: the
 * platform's variables, its own declared ones resolved to the stand-ins, its role's credentials,
 * the runtime's variables, and the endpoints of the authorizing proxies. Nothing else.
 * @example functionEnvironment('authorizer', { targets, endpoints, logLevel: 'WARN', overrides: process.env })
 */
export function functionEnvironment(
  id: FunctionId,
  input: {
    targets: ResourceTargets;
    endpoints: TwinEndpoints;
    logLevel: string;
    overrides?: Record<string, string | undefined>;
  },
): Record<string, string> {
  const spec = functions[id];
  const credentials = roleCredentials(id);
  const tunables = Object.fromEntries(
    TUNABLES.flatMap((name) => (input.overrides?.[name] !== undefined ? [[name, input.overrides[name]]] : [])),
  );
  return {
    ...tunables,
    ...platformEnvironment('local'),
    ...resolveEnvironment(spec, input.targets),
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_LAMBDA_FUNCTION_NAME: functionName(id),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMiB),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_LOG_GROUP_NAME: `/local/${spec.id}`,
    // The twin runs a function's concurrent invocations in one container, as Lambda Managed Instances
    // do: so told, Powertools keeps each invocation's log keys (its context, its correlation id) apart.
    AWS_LAMBDA_MAX_CONCURRENCY: String(TWIN_INVOCATIONS_PER_CONTAINER),
    AWS_ENDPOINT_URL_DYNAMODB: input.endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: input.endpoints.sqs,
    AWS_ENDPOINT_URL_FIREHOSE: input.endpoints.firehose,
    AWS_ENDPOINT_URL_S3: input.endpoints.s3,
    ...(input.endpoints.lambda ? { AWS_ENDPOINT_URL_LAMBDA: input.endpoints.lambda } : {}),
    // The twin's S3 stand-in serves buckets by path.
    S3_FORCE_PATH_STYLE: 'true',
    // Only the twin sets this: its sample receiver listens on http://127.0.0.1.
    WEBHOOK_ALLOW_LOOPBACK_HTTP: 'true',
    POWERTOOLS_LOG_LEVEL: input.logLevel,
    POWERTOOLS_DEV: 'true',
    // No X-Ray daemon here: the tracer stays off (the handler chain runs the same, without segments).
    POWERTOOLS_TRACE_ENABLED: 'false',
    // POWERTOOLS_DEV alone turns Powertools Metrics off: the twin keeps them on, its status page reads their lines.
    POWERTOOLS_METRICS_DISABLED: 'false',
  };
}
