import { checkContract, ContractViolation, type ApiAnswer } from '../support/api-contract';

/** The e2e tests' contract check itself: it passes what the contract documents and fails what it does not. */
const member = {
  memberId: 'mem_1',
  externalId: 'x-1',
  status: 'active',
  tier: 'base',
  createdAt: '2026-01-01T00:00:00.000Z',
};
const json = (status: number, body: unknown, path = '/v1/members/mem_1', method = 'GET'): ApiAnswer => ({
  method,
  path,
  status,
  contentType: status >= 400 ? 'application/problem+json' : 'application/json',
  text: JSON.stringify(body),
});
const problem = (status: number, code: string) => ({ type: 'about:blank', title: 't', status, code });

describe('the API contract check of the e2e tests', () => {
  it('passes a documented answer and a documented problem', () => {
    // Act / Assess
    expect(() => {
      checkContract(json(200, member));
    }).not.toThrow();
    expect(() => {
      checkContract(json(404, problem(404, 'member_not_found')));
    }).not.toThrow();
    expect(() => {
      checkContract(json(404, problem(404, 'not_found'), '/v1/nowhere'));
    }).not.toThrow();
  });

  it('fails a field of the wrong type, naming the operation and the field', () => {
    // Act
    const check = () => {
      checkContract(json(200, { ...member, tier: 3 }));
    };

    // Assess
    expect(check).toThrow(ContractViolation);
    expect(check).toThrow(/GET \/v1\/members\/\{memberId\} \(getMember\) answered 200 .*\n {2}tier: /);
  });

  it('fails a field the schema does not document, however deep', () => {
    // Act / Assess
    expect(() => {
      checkContract(json(200, { ...member, secretNote: 'x' }));
    }).toThrow(/does not document: secretNote/);
    const page = { items: [{ ...member, extra: 1 }] };
    expect(() => {
      checkContract(json(200, page, '/v1/members?limit=1'));
    }).toThrow(/does not document: items\[0\]\.extra/);
  });

  it('fails a status the operation does not document, and a problem with the wrong content type', () => {
    // Act / Assess
    expect(() => {
      checkContract(json(418, problem(418, 'teapot')));
    }).toThrow(/a status its contract does not document/);
    const asJson = { ...json(404, problem(404, 'member_not_found')), contentType: 'application/json' };
    expect(() => {
      checkContract(asJson);
    }).toThrow(/not application\/problem\+json/);
  });

  it('fails a body where the contract documents none', () => {
    // Act / Assess
    const deleted: ApiAnswer = {
      method: 'DELETE',
      path: '/v1/webhooks/endpoints/sub_1',
      status: 204,
      contentType: null,
      text: '{}',
    };
    expect(() => {
      checkContract(deleted);
    }).toThrow(/documents no body/);
    expect(() => {
      checkContract({ ...deleted, text: '' });
    }).not.toThrow();
  });
});
