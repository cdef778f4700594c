import { Problem, PROBLEM_CODES, problemHeaders, type ProblemCode } from '../shared/problem';

/**
 * The answers API Gateway gives itself (gateway responses), each in the API's one error shape:
 * problem+json with a stable code. The stack configures these and the twin's gateway answers with
 * the same statuses, headers and bodies, so a caller cannot tell them apart.
 *
 * Every response type is listed. A gateway response template allows only simple variable
 * substitution (no conditions), so a body cannot follow a status it does not know: each type with
 * its own default status gets its own body. DEFAULT_4XX and DEFAULT_5XX keep API Gateway's status
 * (changing theirs would change every unlisted type's) and describe what falls to them here: a
 * request API Gateway cannot parse (400, e.g. a malformed percent-encoding in the path) and a
 * function that failed or timed out (502).
 */
export const GATEWAY_RESPONSE_TYPES = [
  'UNAUTHORIZED',
  'ACCESS_DENIED',
  'MISSING_AUTHENTICATION_TOKEN',
  'RESOURCE_NOT_FOUND',
  'INVALID_API_KEY',
  'EXPIRED_TOKEN',
  'INVALID_SIGNATURE',
  'WAF_FILTERED',
  'BAD_REQUEST_PARAMETERS',
  'BAD_REQUEST_BODY',
  'REQUEST_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'THROTTLED',
  'QUOTA_EXCEEDED',
  'DEFAULT_4XX',
  'AUTHORIZER_FAILURE',
  'AUTHORIZER_CONFIGURATION_ERROR',
  'API_CONFIGURATION_ERROR',
  'INTEGRATION_FAILURE',
  'INTEGRATION_TIMEOUT',
  'DEFAULT_5XX',
] as const;
export type GatewayResponseType = (typeof GATEWAY_RESPONSE_TYPES)[number];

const CODES: Record<GatewayResponseType, ProblemCode> = {
  UNAUTHORIZED: 'unauthorized',
  ACCESS_DENIED: 'forbidden',
  // API Gateway answers an undeclared route with 403 "Missing Authentication Token"; it is a 404.
  MISSING_AUTHENTICATION_TOKEN: 'not_found',
  RESOURCE_NOT_FOUND: 'not_found',
  INVALID_API_KEY: 'forbidden',
  EXPIRED_TOKEN: 'forbidden',
  INVALID_SIGNATURE: 'forbidden',
  WAF_FILTERED: 'forbidden',
  BAD_REQUEST_PARAMETERS: 'validation_failed',
  BAD_REQUEST_BODY: 'validation_failed',
  REQUEST_TOO_LARGE: 'payload_too_large',
  UNSUPPORTED_MEDIA_TYPE: 'unsupported_media_type',
  THROTTLED: 'too_many_requests',
  QUOTA_EXCEEDED: 'too_many_requests',
  DEFAULT_4XX: 'bad_request',
  // The authorizer's one dependency is the table read: its failure is a passing one to retry, not
  // a bad key (the authorizer's error alarm shows a persistent fault).
  AUTHORIZER_FAILURE: 'service_unavailable',
  AUTHORIZER_CONFIGURATION_ERROR: 'service_unavailable',
  API_CONFIGURATION_ERROR: 'internal_error',
  INTEGRATION_FAILURE: 'bad_gateway',
  INTEGRATION_TIMEOUT: 'gateway_timeout',
  DEFAULT_5XX: 'bad_gateway',
};

export interface GatewayProblem {
  type: GatewayResponseType;
  code: ProblemCode;
  /** The status the stack sets; absent for the DEFAULT_* fallbacks, which keep API Gateway's own. */
  statusCode?: number;
  /** The status the caller sees in the situations this project meets (the twin answers with it). */
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The gateway response of one type: status, headers (content type, Retry-After) and problem body. */
export function gatewayProblem(type: GatewayResponseType): GatewayProblem {
  const code = CODES[type];
  const status = PROBLEM_CODES[code].status;
  return {
    type,
    code,
    ...(type.startsWith('DEFAULT_') ? {} : { statusCode: status }),
    status,
    headers: { 'content-type': 'application/problem+json', ...problemHeaders(code) },
    body: JSON.stringify(new Problem(code).toBody()),
  };
}

export const gatewayProblems = (): GatewayProblem[] => GATEWAY_RESPONSE_TYPES.map(gatewayProblem);
