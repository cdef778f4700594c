import { readFileSync } from 'node:fs';
import { buildOpenApi } from '../../functions/api/openapi';
import { operations } from '../../functions/api/operations';
import { routes } from '../../functions/declaration/topology';
import { buildEventCatalogue, renderEventCatalogue } from '../../functions/domain/event-catalogue';
import { EVENT_TYPES } from '../../functions/domain/events';

describe('API contract', () => {
  it('has one operation for every declared route of the API function, and no operation without a route', () => {
    // The OAuth token endpoint and JWKS are the token function's: RFC 6749 and RFC 7517 documents, not operations.
    const declared = routes
      .filter((r) => r.function === 'api' && r.path !== '/openapi.json')
      .map((r) => `${r.method} ${r.path}`)
      .sort();
    expect(operations.map((op) => `${op.method} ${op.path}`).sort()).toEqual(declared);
  });

  it('documents every operation with problem+json errors and required Idempotency-Key on mutations', () => {
    const doc = buildOpenApi();
    for (const op of operations) {
      const entry = (
        doc.paths[op.path] as Record<
          string,
          { parameters?: { name: string }[]; responses: Record<string, { content?: Record<string, unknown> }> }
        >
      )[op.method.toLowerCase()]!;
      expect(entry).toBeDefined();
      expect(Object.keys(entry.responses['400']!.content!)).toEqual(['application/problem+json']);
      expect(entry.parameters?.some((p) => p.name === 'Idempotency-Key') ?? false).toBe(op.idempotent);
    }
  });

  it('documents 413 and 415 on every operation that reads a body, as parseBody answers them', () => {
    // Prepare
    const doc = buildOpenApi();

    // Assess
    for (const op of operations.filter((candidate) => candidate.request)) {
      const { responses } = (doc.paths[op.path] as Record<string, { responses: Record<string, unknown> }>)[
        op.method.toLowerCase()
      ]!;
      expect({ operation: op.operationId, statuses: Object.keys(responses) }).toEqual({
        operation: op.operationId,
        statuses: expect.arrayContaining(['413', '415']),
      });
    }
  });

  it('documents the retryable statuses, 429 and 503 with Retry-After, on every operation', () => {
    // Prepare
    const doc = buildOpenApi();

    // Assess
    for (const op of operations) {
      const { responses } = (
        doc.paths[op.path] as Record<string, { responses: Record<string, { headers?: Record<string, unknown> }> }>
      )[op.method.toLowerCase()]!;
      for (const status of ['429', '503'])
        expect(Object.keys(responses[status]?.headers ?? {})).toEqual(['Retry-After', 'x-correlation-id']);
    }
  });

  it('documents x-correlation-id on every operation and every answer', () => {
    // Prepare
    const doc = buildOpenApi();

    // Assess
    for (const op of operations) {
      const entry = (
        doc.paths[op.path] as Record<
          string,
          { parameters: { $ref?: string }[]; responses: Record<string, { headers: Record<string, unknown> }> }
        >
      )[op.method.toLowerCase()]!;
      expect(entry.parameters).toContainEqual({ $ref: '#/components/parameters/CorrelationId' });
      for (const response of Object.values(entry.responses))
        expect(response.headers['x-correlation-id']).toEqual({ $ref: '#/components/headers/CorrelationId' });
    }
  });

  it('matches the checked-in docs/openapi.json (run `npm run openapi` after changing the API)', () => {
    const checkedIn = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
    expect(checkedIn).toEqual(JSON.parse(JSON.stringify(buildOpenApi())));
  });
});

describe('event catalogue', () => {
  it('documents every event type with a JSON Schema, as checked in under docs/events (`npm run catalogue`)', () => {
    // Prepare
    const catalogue = buildEventCatalogue();
    const checkedIn = JSON.parse(readFileSync(new URL('../../docs/events/catalogue.json', import.meta.url), 'utf8'));
    const markdown = readFileSync(new URL('../../docs/events/README.md', import.meta.url), 'utf8');

    // Assess
    expect(catalogue.events.map((e) => e.type)).toEqual(EVENT_TYPES);
    for (const event of catalogue.events) {
      // Audit events are about the tenant: no per-member seq, the acting credential instead. Platform events are
      // about the platform (no seq, sent to each tenant); webhook notices name the tenant and the endpoint; batch
      // events name the tenant and the batch.
      const envelope = event.type.startsWith('audit.')
        ? ['id', 'actor', 'data']
        : ['platform.', 'webhook.', 'batch.'].some((prefix) => event.type.startsWith(prefix))
          ? ['id', 'tenantId', 'data']
          : ['id', 'seq', 'data'];
      expect(event.schema).toMatchObject({ type: 'object', required: expect.arrayContaining(envelope) });
    }
    expect(checkedIn).toEqual(JSON.parse(JSON.stringify(catalogue)));
    expect(markdown).toBe(renderEventCatalogue(catalogue));
  });
});
