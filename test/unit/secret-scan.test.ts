import { generateSecret, generateSigningKeyPair, sign } from '../../functions/domain/webhooks/signature';
import { CREDENTIAL_KINDS, scanForSecrets } from '../support/secret-scan';

/** The log scan of the end-to-end test can fail: each kind of credential planted in a sample line is found. */
describe('scanning log lines for secrets', () => {
  const apiKey = 'llk_f59N3h7aovt8WaRS53o2LC1JuwgbD3kU-G_xGIuULZU';
  const secret = generateSecret();
  const signingKey = generateSigningKeyPair().secretKey;
  const hmac = sign({ secret, id: 'evt_1', timestampSeconds: 1614265330, body: '{}' });
  const signature = `${hmac} v1a,dGVzdHNpZ25hdHVyZQ==`;
  const secrets = [
    { kind: CREDENTIAL_KINDS.apiKey, value: apiKey },
    { kind: CREDENTIAL_KINDS.webhookSecret, value: secret },
    { kind: CREDENTIAL_KINDS.webhookSigningKey, value: signingKey },
    { kind: CREDENTIAL_KINDS.webhookSignature, value: signature },
  ];
  const line = (field: string) => `{"level":"DEBUG","message":"Handled request","field":"${field}"}`;

  it.each([
    ['an API key', apiKey, 'API key'],
    ["an API key's first 12 characters", apiKey.slice(0, 12), 'API key'],
    ['a webhook secret', secret, 'webhook signing secret'],
    ["a webhook secret's body without whsec_", secret.slice('whsec_'.length), 'webhook signing secret'],
    ['an ed25519 signing key', signingKey, 'webhook ed25519 signing key'],
    ['a whole webhook-signature header', signature, 'webhook signature'],
    ['one signature of the header, without its version', signature.split(' ')[0]!.slice(3), 'webhook signature'],
  ])('finds %s planted in a line', (_, planted, kind) => {
    const findings = scanForSecrets(['{"level":"INFO"}', line(planted)], secrets);

    expect(findings.map((f) => f.kind)).toContain(kind);
    expect(findings.every((f) => f.lineNumber === 2)).toBe(true);
    // The report masks what it found.
    expect(findings.every((f) => !f.line.includes(planted))).toBe(true);
  });

  it('finds nothing in lines without a secret', () => {
    expect(scanForSecrets([line('mem_01M8VK2NTDRKCS91XN110YH5MM'), line('llk_')], secrets)).toEqual([]);
  });
});
