import fc from 'fast-check';

/**
 * Malformed requests for the API fuzz test (`test/integration/fuzz.e2e.test.ts`), built from the
 * served OpenAPI document so a new route is fuzzed the day it is added. Every request is broken on
 * purpose in at least one way the API must refuse (body, path parameter, query or credential), so
 * a well-formed request by accident cannot change data; `certainlyBroken` backs that up for bodies.
 */

/** The part of a JSON Schema (as the OpenAPI document prints it) the generators read. */
export interface PropertySchema {
  type?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  anyOf?: PropertySchema[];
}

export interface BodySchema {
  properties?: Record<string, PropertySchema>;
  required?: string[];
}

/** One route of the OpenAPI document: what a request to it must look like. */
export interface FuzzRoute {
  method: string;
  path: string;
  operationId: string;
  pathParams: string[];
  queryParams: string[];
  body?: BodySchema;
}

/** How a request is broken: the categories the fuzz test counts. */
export type Malformation =
  | 'unknown-field'
  | 'wrong-type'
  | 'missing-required'
  | 'huge-string'
  | 'number-1e309'
  | 'negative-or-fractional'
  | 'invalid-json'
  | 'wrong-content-type'
  | 'body-1.5MB'
  | 'bad-path-param'
  | 'unknown-id'
  | 'junk-query'
  | 'bad-credential';

export interface FuzzRequest {
  route: FuzzRoute;
  malformation: Malformation;
  method: string;
  /** The raw path with query string, sent byte for byte. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** The operations of an OpenAPI document, with their path and query parameters and JSON body schema. */
export function routesOf(document: { paths: Record<string, Record<string, unknown>> }): FuzzRoute[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, raw]) => {
      const operation = raw as {
        operationId: string;
        parameters?: { in?: string; name?: string }[];
        requestBody?: { content: Record<string, { schema: BodySchema }> };
      };
      const params = operation.parameters ?? [];
      const body = operation.requestBody?.content['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        operationId: operation.operationId,
        pathParams: params.filter((p) => p.in === 'path').map((p) => p.name!),
        queryParams: params.filter((p) => p.in === 'query').map((p) => p.name!),
        ...(body ? { body } : {}),
      };
    }),
  );
}

const MAX_FUNCTION_BODY_BYTES = 64 * 1024;

/** Path parameter values, already percent-encoded as sent, that no id pattern (`^[A-Za-z0-9_-]{1,64}$`) allows. */
const badPathParams: string[] = [
  '..%2F..%2Fadmin',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '..',
  '%2E%2E',
  '..%5C..%5Cwindows',
  encodeURIComponent('ünïcødé'),
  encodeURIComponent('🙂🙃'),
  encodeURIComponent('mem\u202Egnp.exe'),
  encodeURIComponent('mem\u200B1'),
  encodeURIComponent('mеm_1'),
  encodeURIComponent('Ω≈ç√∫'),
  '%zz',
  '%E0%A4',
  '%ED%A0%80',
  '%00',
  '%20',
  'a.b',
  'mem%241',
  encodeURIComponent("'OR'1'='1"),
  encodeURIComponent('<script>alert(1)</script>'),
  '%25',
  '~root',
  'a'.repeat(65),
  'x'.repeat(900),
];

/** The segments the gateway resolves as `..` (RFC 3986 §5.2.4, as WHATWG URL parses them). */
const isDotSegment = (segment: string) => /^(\.|%2e){2}$/i.test(segment);

const junkQueries: string[] = [
  'limit=-1',
  'limit=1e309',
  'limit=0.5',
  'limit=abc',
  'limit=100000',
  'cursor=%zz',
  'cursor=not-a-cursor',
  `cursor=${'c'.repeat(2000)}`,
  'status=deleted',
  'asOf=yesterday',
  'asOf=1e309',
  'from=2024-13-45&to=x',
  'type=%F0%9F%99%82',
  'unknown=1',
  '__proto__=1&constructor=2',
  'limit=1&limit=-5',
  `${encodeURIComponent('ünï')}=${encodeURIComponent('ç😀')}`,
  '%ED%A0%80=1',
  'a=%E0%A4',
  '=&&==',
  `q=${'q'.repeat(3000)}`,
];

const wrongContentTypes = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'text/html; charset=utf-8',
  'image/png',
];

const invalidJson = [
  '{',
  '{"a":}',
  '{"a":1,}',
  "{'a':1}",
  '{"a":NaN}',
  '{"a":Infinity}',
  '[1,2',
  'null null',
  '\u{FEFF}{}x',
  'undefined',
  '{"a":"\\x41"}',
  '{"a":01}',
  '<xml/>',
];

const badCredentials: (string | undefined)[] = [
  undefined,
  '',
  'llk_not-a-key',
  'Bearer x',
  'k'.repeat(4000),
  "' OR 1=1 --",
  '../../etc/passwd',
  'null',
];

/** Whether a value certainly fails the property's schema (a type, bound, length or enum it breaks). */
function breaks(value: unknown, schema: PropertySchema | undefined): boolean {
  if (!schema) return true; // strict bodies refuse unknown fields
  if (schema.enum && !schema.enum.includes(value)) return true;
  const { type } = schema;
  if (type === undefined) return false;
  const actual = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (type === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) return true;
  } else if (type === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) return true;
  } else if (actual !== type) return true;
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return true;
    if (schema.maximum !== undefined && value > schema.maximum) return true;
  }
  if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) return true;
    if (schema.minLength !== undefined && value.length < schema.minLength) return true;
  }
  return false;
}

/** Whether a parsed body certainly fails its schema: a required field missing, or a field broken. */
export function certainlyBroken(body: Record<string, unknown>, schema: BodySchema): boolean {
  if ((schema.required ?? []).some((name) => !(name in body))) return true;
  return Object.entries(body).some(([name, value]) => breaks(value, schema.properties?.[name]));
}

const wrongValueFor = (schema: PropertySchema | undefined): unknown[] => {
  switch (schema?.type) {
    case 'string':
      return [42, true, ['a'], { a: 1 }, null];
    case 'integer':
    case 'number':
      return ['12', true, [1], { value: 1 }, null];
    case 'boolean':
      return ['true', 1, [], {}];
    case 'array':
      return ['a,b', 1, { 0: 'a' }, false];
    case 'object':
      return ['{}', 7, [{}], true];
    default:
      return [{ unexpected: [1, { deep: true }] }, Symbol.for('none')];
  }
};

/** What one route's malformed requests are made of: its valid ids, and the tenant's API key. */
export interface FuzzContext {
  apiKey: string;
  /** Real ids by path parameter name, so a malformed body can reach an existing resource. */
  ids: Record<string, string>;
}

interface Draft {
  malformation: Malformation;
  params: Record<string, string>;
  query?: string;
  contentType?: string;
  body?: string;
  /** The header's value; null: the tenant's valid key, undefined: no header at all. */
  credential: string | undefined | null;
}

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);

/** Path parameters: the real ids (or unknown ones) unless one is broken. */
const paramsArb = (route: FuzzRoute, ctx: FuzzContext, mustBreak: boolean) =>
  fc
    .record({
      real: fc.boolean(),
      broken: fc.nat({ max: Math.max(0, route.pathParams.length - 1) }),
      // A bare dot segment resolves onto another route (`/v1/members/../offers` is `/v1/offers`): only a request
      // broken elsewhere too (its body) may carry one, or it could be well-formed after all.
      badValue: pick(mustBreak ? badPathParams.filter((value) => !isDotSegment(value)) : badPathParams),
      unknownSuffix: fc.stringMatching(/^[a-z0-9]{6,12}$/),
      kind: mustBreak ? pick(['bad', 'unknown'] as const) : pick(['bad', 'unknown', 'real', 'real'] as const),
    })
    .map(({ real, broken, badValue, unknownSuffix, kind }) => {
      const params: Record<string, string> = {};
      route.pathParams.forEach((name, i) => {
        const valid = real ? (ctx.ids[name] ?? `${name}_${unknownSuffix}`) : `${name}_${unknownSuffix}`;
        if (i !== broken || kind === 'real') params[name] = valid;
        else params[name] = kind === 'bad' ? badValue : `zz_${unknownSuffix}_missing`;
      });
      return { params, kind };
    });

/** How a bodyless POST is broken: by its path parameter, or (with real ids) by a missing credential. */
const bodylessBreak = (kind: 'bad' | 'unknown' | 'real'): Malformation =>
  kind === 'real' ? 'bad-credential' : kind === 'bad' ? 'bad-path-param' : 'unknown-id';

/** A JSON body that breaks the route's body schema, with its malformation; as raw text. */
function bodyArb(schema: BodySchema): fc.Arbitrary<{ malformation: Malformation; body: string; contentType?: string }> {
  const names = Object.keys(schema.properties ?? {});
  const name = names.length ? pick(names) : fc.constant('unexpected');
  const numeric = names.filter((n) => ['integer', 'number'].includes(schema.properties![n]!.type ?? ''));
  const strings = names.filter((n) => schema.properties![n]!.type === 'string');
  const finish = (malformation: Malformation, value: Record<string, unknown>, raw?: string) => {
    // Backs the guarantee up: a body that might pass gets an unknown field, which every strict body refuses.
    const body = certainlyBroken(value, schema) ? value : { ...value, fuzzUnknownField: true };
    return { malformation, body: raw ?? JSON.stringify(body) };
  };
  const options: fc.Arbitrary<{ malformation: Malformation; body: string; contentType?: string }>[] = [
    fc
      .tuple(fc.stringMatching(/^[a-zA-Z_$][\w$]{0,30}$/), fc.jsonValue({ maxDepth: 2 }))
      .filter(([key]) => !names.includes(key) && key !== '__proto__')
      .map(([key, value]) => finish('unknown-field', { [key]: value })),
    name.chain((prop) =>
      pick(wrongValueFor(schema.properties?.[prop]).filter((v) => typeof v !== 'symbol')).map((value) =>
        finish('wrong-type', { [prop]: value }),
      ),
    ),
    fc.constant(finish('missing-required', {})),
    fc
      .tuple(strings.length ? pick(strings) : name, fc.integer({ min: MAX_FUNCTION_BODY_BYTES + 10, max: 200_000 }))
      .map(([prop, length]) => finish('huge-string', { [prop]: 'é'.repeat(Math.ceil(length / 2)) })),
    (numeric.length ? pick(numeric) : name).map((prop) => {
      const value = { [prop]: Infinity };
      const fields = certainlyBroken(value, schema) ? '' : ',"fuzzUnknownField":true';
      return { malformation: 'number-1e309' as const, body: `{"${prop}":1e309${fields}}` };
    }),
    fc
      .tuple(numeric.length ? pick(numeric) : name, pick([-1, -1000, 0.5, 2.5, -0.25, 1e-7, -(2 ** 53)]))
      .map(([prop, value]) => finish('negative-or-fractional', { [prop]: value })),
    pick(invalidJson).map((body) => ({ malformation: 'invalid-json' as const, body })),
    fc.tuple(pick(wrongContentTypes), name).map(([contentType, prop]) => ({
      malformation: 'wrong-content-type' as const,
      contentType,
      body: JSON.stringify({ [prop]: 'x' }),
    })),
    fc.constant({
      malformation: 'body-1.5MB' as const,
      body: JSON.stringify({ [names[0] ?? 'blob']: 'x'.repeat(1.5 * 1024 * 1024) }),
    }),
  ];
  return fc.oneof(...options);
}

/**
 * Malformed requests for one route. A route with a body always gets a broken body (a path that
 * `..` collapses onto another route is refused by it too); a route without one gets a broken or
 * unknown path parameter, a junk query where the route declares its query, or a bad credential.
 */
export function requestArb(route: FuzzRoute, ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const hasBody = route.method !== 'GET' && route.method !== 'DELETE';
  const noise = fc.record({
    query: fc.option(pick(junkQueries), { freq: 3 }),
    idempotencyKey: pick([undefined, 'fresh', 'has space', 'k'.repeat(300), '']),
    keyNumber: fc.nat(),
  });
  // A bad credential is a category of its own: every other request carries the tenant's key, so validation is reached.
  const badCredential = fc
    .tuple(paramsArb(route, ctx, false), pick(badCredentials), noise)
    .map(([{ params }, credential, n]): Draft => ({
      malformation: 'bad-credential',
      params,
      credential,
      ...(n.query ? { query: n.query } : {}),
    }));

  let draft: fc.Arbitrary<Draft>;
  if (route.body || hasBody) {
    // Bodyless POSTs (ping, replay of one message) still get a broken body, for a `..` that lands on a body route.
    const body = route.body ? bodyArb(route.body) : bodyArb({ properties: {}, required: ['fuzz'] });
    const brokenBody = fc.tuple(body, paramsArb(route, ctx, false), noise).map(([b, { params, kind }, n]): Draft => {
      const malformation = route.body ? b.malformation : bodylessBreak(kind);
      // A bodyless POST on real ids is broken by its credential alone.
      const credential = malformation === 'bad-credential' ? undefined : null;
      return { ...b, params, credential, malformation, ...(n.query ? { query: n.query } : {}) };
    });
    draft = fc.oneof(
      { weight: 8, arbitrary: brokenBody },
      { weight: 1, arbitrary: fc.tuple(badCredential, body).map(([d, b]) => ({ ...b, ...d })) },
    );
  } else {
    // Validation first: a bad credential weighs a third of a broken path or query.
    const breakers: fc.WeightedArbitrary<Draft>[] = [{ weight: 1, arbitrary: badCredential }];
    if (route.pathParams.length) {
      const brokenPath = fc.tuple(paramsArb(route, ctx, true), noise).map(([{ params, kind }, n]): Draft => ({
        malformation: kind === 'bad' ? 'bad-path-param' : 'unknown-id',
        params,
        credential: null,
        ...(n.query ? { query: n.query } : {}),
      }));
      breakers.push({ weight: 3, arbitrary: brokenPath });
    }
    if (route.queryParams.length) {
      const junkQuery = fc
        .tuple(paramsArb(route, ctx, false), pick(junkQueries))
        .map(([{ params }, query]): Draft => ({ malformation: 'junk-query', params, query, credential: null }));
      breakers.push({ weight: 3, arbitrary: junkQuery });
    }
    draft = fc.oneof(...breakers);
  }

  return fc.tuple(draft, noise).map(([d, n]) => {
    const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => d.params[name]!);
    const headers: Record<string, string> = {};
    const cred = d.credential === null ? ctx.apiKey : d.credential;
    if (cred !== undefined) headers['x-api-key'] = cred;
    if (d.body !== undefined) headers['content-type'] = d.contentType ?? 'application/json';
    if (n.idempotencyKey === 'fresh') headers['idempotency-key'] = `fuzz-${n.keyNumber}`;
    else if (n.idempotencyKey !== undefined) headers['idempotency-key'] = n.idempotencyKey;
    return {
      route,
      malformation: d.malformation,
      method: route.method,
      path: d.query ? `${path}?${d.query}` : path,
      headers,
      ...(d.body !== undefined ? { body: d.body } : {}),
    };
  });
}
