import { generateSecret, sign, signedHeaders, verify } from '../../functions/domain/webhook-signature';

describe('Standard Webhooks signatures', () => {
  const vector = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestampSeconds: 1614265330,
    body: '{"test": 2432232314}',
  };

  it('matches the official test vector', () => {
    expect(sign(vector)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies its own deliveries and rejects tampering, stale timestamps and wrong secrets', () => {
    // Prepare
    const headers = signedHeaders({ secrets: [vector.secret], id: vector.id, timestampSeconds: vector.timestampSeconds, body: vector.body });
    const at = { nowSeconds: vector.timestampSeconds + 10 };

    // Act / Assess
    expect(verify({ secret: vector.secret, headers: { ...headers }, body: vector.body, ...at })).toEqual({ ok: true });
    expect(verify({ secret: vector.secret, headers: { ...headers }, body: '{"test": 1}', ...at })).toEqual({ ok: false, reason: 'no_matching_signature' });
    expect(verify({ secret: generateSecret(), headers: { ...headers }, body: vector.body, ...at })).toEqual({ ok: false, reason: 'no_matching_signature' });
    expect(verify({ secret: vector.secret, headers: { ...headers }, body: vector.body, nowSeconds: vector.timestampSeconds + 301 })).toEqual({
      ok: false,
      reason: 'timestamp_out_of_tolerance',
    });
    expect(verify({ secret: vector.secret, headers: {}, body: vector.body })).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('signs with every active secret during rotation, and either verifies', () => {
    const previous = generateSecret();
    const next = generateSecret();
    const headers = signedHeaders({ secrets: [next, previous], id: 'evt_1', timestampSeconds: 1_700_000_000, body: '{}' });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [previous, next]) {
      expect(verify({ secret, headers: { ...headers }, body: '{}', nowSeconds: 1_700_000_000 }).ok).toBe(true);
    }
  });

  it('generates whsec_ secrets of 24 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(generateSecret()).not.toBe(secret);
  });
});
