/**
 * The admin CLI's HTTP client: the API's base URL and the operator key, and one call that turns a problem answer
 * into an error carrying its title and detail. Plain HTTPS, so the twin and a deployed stage are the same to it.
 */

/** A command's mistake (unknown command, missing option): usage goes to stderr, exit code 2. */
export class UsageError extends Error {}

/** The API refused (a problem+json answer) or could not be reached: its title and detail go to stderr, exit 1. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

export interface AdminClient {
  /** `headers` adds to the client's own (an Idempotency-Key). */
  call<T = unknown>(
    method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T>;
}

interface ProblemAnswer {
  title?: string;
  detail?: string;
  code?: string;
  errors?: { path: string; message: string }[];
}

/** A client for `baseUrl` sending `operatorKey` as the API key of every call. */
export function adminClient(baseUrl: string, operatorKey: string): AdminClient {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers: {
            'x-api-key': operatorKey,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (error) {
        throw new ApiError(0, `cannot reach ${base}: ${(error as Error).message}`);
      }
      const text = await response.text();
      if (response.ok) return (text ? JSON.parse(text) : {}) as T;
      let problem: ProblemAnswer = {};
      try {
        problem = JSON.parse(text) as ProblemAnswer;
      } catch {
        // Not a problem document (a proxy's page): the status says enough.
      }
      const title = problem.title ?? response.statusText;
      const code = problem.code ? ` (${problem.code})` : '';
      const detail = problem.detail && problem.detail !== problem.title ? `: ${problem.detail}` : '';
      throw new ApiError(response.status, `${response.status} ${title}${code}${detail}`, problem.errors);
    },
  };
}
