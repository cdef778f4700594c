import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { CommandMessage, CommandType } from '../domain/batches';
import type { Reply } from '../domain/idempotency';
import { CORRELATION_ID_HEADER } from '../shared/correlation-id';
import { Problem, isProblem } from '../shared/problem';
import type { Operation, Services, TenantScope } from './operation-kit';
import { operations } from './operations';
import { refuseSuspendedTenant } from './tenant-status';

/**
 * Commands that arrive by queue (a batch, an inbound queue) are applied by the REST operation of their type, with
 * the inputs its REST call would carry: the body, the Idempotency-Key, the path parameters and the caller. So
 * validation, idempotency records, reply bodies, problem codes and events are exactly the REST path's, and a REST
 * retry with the same key replays what the command answered (and the other way round).
 */

/** The REST operation each command type runs. */
export const COMMAND_OPERATIONS: Record<CommandType, string> = {
  enrol: 'enrolMember',
  updateProfile: 'updateMember',
  earn: 'earnPoints',
  transaction: 'postTransaction',
  redeem: 'redeemPoints',
  adjust: 'adjustPoints',
  reverse: 'reverseEntry',
  offerView: 'recordOfferView',
  offerActivate: 'activateOffer',
};

// Looked up on first use: the operations registry lists the batch operations, which import this module.
let byType: Map<CommandType, Operation> | undefined;

/** The REST operation a command type runs. */
export function commandOperation(type: CommandType): Operation {
  byType ??= new Map(
    (Object.entries(COMMAND_OPERATIONS) as [CommandType, string][]).map(([t, operationId]) => {
      const op = operations.find((o) => o.operationId === operationId);
      if (!op) throw new Error(`No operation ${operationId} for ${t} commands`);
      return [t, op];
    }),
  );
  const op = byType.get(type);
  if (!op) throw new Error(`No operation for ${type} commands`);
  return op;
}

/** The scope a command type needs: its REST operation's. */
export const commandScope = (type: CommandType): TenantScope => commandOperation(type).scope as TenantScope;

/**
 * What the command worker runs commands with: the ledger side only (no KMS, queues, throttling or webhook
 * services). `commandServices` turns it into the operations' `Services`, failing loudly if a command ever reached
 * for more.
 */
export type CommandServices = Pick<Services, 'ledger' | 'offers' | 'catalogue' | 'audit' | 'clock' | 'tenantStore'>;
const COMMAND_SERVICE_NAMES: ReadonlySet<string> = new Set<keyof CommandServices>([
  'ledger',
  'offers',
  'catalogue',
  'audit',
  'clock',
  'tenantStore',
]);

export function commandServices(narrow: CommandServices): Services {
  return new Proxy(narrow as Services, {
    get(target, name, receiver) {
      if (typeof name === 'string' && !COMMAND_SERVICE_NAMES.has(name))
        throw new Error(`Commands run without ${name}: the command worker's composition does not provide it`);
      return Reflect.get(target, name, receiver) as unknown;
    },
  });
}

/** Resolves a caller's external id to the member's id (null: no such member). */
export type ExternalIdResolver = (tenantId: string, externalId: string) => Promise<string | null>;

/** The API Gateway event the command's REST call would have made. */
function restEvent(
  op: Operation,
  message: CommandMessage,
  pathParameters: Record<string, string>,
): APIGatewayProxyEvent {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => pathParameters[name] ?? '');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'idempotency-key': message.command.idempotencyKey,
    ...(message.correlationId !== undefined ? { [CORRELATION_ID_HEADER]: message.correlationId } : {}),
  };
  return {
    httpMethod: op.method,
    path,
    resource: op.path,
    pathParameters,
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    headers,
    multiValueHeaders: {},
    body: JSON.stringify(message.command.body),
    isBase64Encoded: false,
    stageVariables: null,
    requestContext: { requestId: `${message.batchId}-${message.index}` },
  } as unknown as APIGatewayProxyEvent;
}

/**
 * Applies a queued command through its REST operation and answers what the REST call would have: its reply, or
 * the problem it raised (a 4xx as its body, with the REST path as `instance`). A dependency's failure or a bug
 * throws, so the queue retries it. Also answers the member the command acted on, when known.
 * @example const { reply } = await applyCommand(message, services, resolveExternalId);
 */
export async function applyCommand(
  message: CommandMessage,
  services: CommandServices,
  resolveExternalId: ExternalIdResolver,
): Promise<{ reply: Reply; memberId?: string }> {
  const { tenantId, command } = message;
  const op = commandOperation(command.type);
  try {
    // As the REST handler does before any operation: a suspended tenant's commands are refused.
    await refuseSuspendedTenant(services, tenantId);
    let memberId = command.memberId;
    if (command.type !== 'enrol' && memberId === undefined && command.externalId !== undefined) {
      memberId = (await resolveExternalId(tenantId, command.externalId)) ?? undefined;
      if (memberId === undefined)
        throw new Problem('member_not_found', `No member with external id ${command.externalId}`);
    }
    const pathParameters: Record<string, string> = {
      ...(memberId !== undefined ? { memberId } : {}),
      ...(command.entryId !== undefined ? { entryId: command.entryId } : {}),
      ...(command.offerId !== undefined ? { offerId: command.offerId } : {}),
    };
    const event = restEvent(op, message, pathParameters);
    try {
      const principal = { kind: 'tenant' as const, tenantId, ...message.principal } as Parameters<
        Operation['run']
      >[0]['principal'];
      const reply = await op.run({ event, tenantId, principal, services: commandServices(services) });
      const enrolled = command.type === 'enrol' ? (reply.body as { memberId?: string } | null)?.memberId : undefined;
      const actedOn = memberId ?? enrolled;
      return { reply, ...(actedOn !== undefined ? { memberId: actedOn } : {}) };
    } catch (error) {
      if (isProblem(error)) return { reply: { statusCode: error.status, body: error.toBody(event.path) } };
      throw error;
    }
  } catch (error) {
    if (isProblem(error)) return { reply: { statusCode: error.status, body: error.toBody() } };
    throw error;
  }
}
