import { executionRolePolicies, resolvePolicy, type ResolvedStatement } from '../functions/declaration/iam-policy';
import {
  functions,
  inboundQueuePrefix,
  queues,
  importsBucket,
  rawEvents,
  tokenSigningKeys,
  type FunctionId,
  type QueueId,
} from '../functions/declaration/topology';
import { ACCOUNT_ID, REGION } from './aws-local';
import { deliveryStreamArn, queueArnOfName, tableArn } from './iam-requests';

/**
 * Each function's identity on the twin: its own credentials (the access key id names the role,
 * so the twin's authorizing proxies know who calls), and its declared policy resolved to the
 * ARNs of the local stand-ins. The twin's own plumbing uses other credentials and is not checked.
 */
const KEY_PREFIX = 'LOCALROLE';

export const functionName = (id: FunctionId) => `local-${functions[id].id}`;
export const roleName = (id: FunctionId) => `${functions[id].id}Role`;

/** The ARN the twin gives a function (as `LocalLambda.functionArn`). */
export const localFunctionArn = (id: FunctionId) =>
  `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${functionName(id)}`;

/** The principal AWS names in an AccessDenied message for a Lambda function's role session. */
export const principalArn = (id: FunctionId) =>
  `arn:aws:sts::${ACCOUNT_ID}:assumed-role/${roleName(id)}/${functionName(id)}`;

export function roleCredentials(id: FunctionId): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `${KEY_PREFIX}${id}`, secretAccessKey: 'local' };
}

/** The function whose role signed with this access key id, if any. */
export function functionOfAccessKey(accessKeyId: string | undefined): FunctionId | undefined {
  if (!accessKeyId?.startsWith(KEY_PREFIX)) return undefined;
  const id = accessKeyId.slice(KEY_PREFIX.length);
  return id in functions ? (id as FunctionId) : undefined;
}

/** The declared policies resolved to the twin's resources (the table stream ARN is DynamoDB Local's). */
export function localPolicies(input: {
  tableName: string;
  tableStreamArn: string;
}): Record<FunctionId, ResolvedStatement[]> {
  return Object.fromEntries(
    (Object.keys(functions) as FunctionId[]).map((id) => [
      id,
      resolvePolicy(executionRolePolicies[id], {
        tableArn: tableArn(input.tableName),
        tableStreamArn: input.tableStreamArn,
        tableKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/local-ledger`,
        // The twin's stand-ins encrypt nothing and no request names a key, so KMS statements are never consulted.
        queueKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/local-queues`,
        // The twin seals secrets with a key of its own in the function, so no request reaches KMS either.
        secretsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/local-secrets`,
        // The twin throttles in its gateway: no function calls API Gateway here.
        apiGatewayArn: `arn:aws:apigateway:${REGION}::`,
        queueArn: (queue: QueueId) => queueArnOfName(queues[queue].localName),
        rawEventsStreamArn: deliveryStreamArn(rawEvents.localName),
        logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:/local/${functions[id].id}:*`,
        // The twin signs tokens with a generated key, not through KMS: these statements are not consulted either.
        tokenKeyArn: (slot) => `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/local-token-${slot}`,
        activeTokenKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/local-token-${tokenSigningKeys.defaultActiveSlot}`,
        lakeBucketArn: `arn:aws:s3:::${rawEvents.localBucketName}`,
        // The twin's S3 stand-in encrypts nothing: no request names the lake key.
        lakeKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/local-lake`,
        inboundQueueArns: queueArnOfName(`${inboundQueuePrefix('local')}-inbound-*`),
        eventSourceMappingArns: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:event-source-mapping:*`,
        functionArn: localFunctionArn,
        importsBucketArn: `arn:aws:s3:::${importsBucket.localBucketName}`,
        // Nor the imports key.
        importsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/local-imports`,
      }),
    ]),
  ) as Record<FunctionId, ResolvedStatement[]>;
}
