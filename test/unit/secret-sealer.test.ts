import { randomBytes } from 'node:crypto';
import { EnvelopeSealer } from '../../functions/adapters/envelope-sealer';
import { LocalDataKeys } from '../../functions/adapters/local-data-keys';
import type { SealedSecret } from '../../functions/domain/ports';

const sealer = new EnvelopeSealer(new LocalDataKeys(randomBytes(32)));
const context = { tenantId: 't_1', subscriptionId: 'sub_1' };
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** One byte of a base64 field flipped. */
function flipped(field: string): string {
  const bytes = Buffer.from(field, 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

describe('envelope sealer', () => {
  it('opens what it sealed, and the sealed value shows nothing of the secret', async () => {
    const sealed = await sealer.seal(SECRET, context);

    expect(JSON.stringify(sealed)).not.toContain('whsec_');
    expect(JSON.stringify(sealed)).not.toContain(SECRET.slice(6));
    await expect(sealer.open(sealed, context)).resolves.toBe(SECRET);
    // The context is bound independently of key order.
    await expect(sealer.open(sealed, { subscriptionId: 'sub_1', tenantId: 't_1' })).resolves.toBe(SECRET);
  });

  it('seals the same secret differently each time (fresh data key and iv)', async () => {
    const [a, b] = await Promise.all([sealer.seal(SECRET, context), sealer.seal(SECRET, context)]);

    expect(a.encryptedKey).not.toBe(b.encryptedKey);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it.each(['ciphertext', 'tag', 'iv', 'encryptedKey'] as const)(
    'refuses a sealed value with its %s changed',
    async (field) => {
      const sealed = await sealer.seal(SECRET, context);
      const tampered: SealedSecret = { ...sealed, [field]: flipped(sealed[field]) };

      await expect(sealer.open(tampered, context)).rejects.toThrow();
    },
  );

  it.each([
    ['another tenant', { tenantId: 't_2', subscriptionId: 'sub_1' }],
    ['another endpoint', { tenantId: 't_1', subscriptionId: 'sub_2' }],
    ['an extra entry', { ...context, extra: 'x' }],
  ])('refuses to open for %s', async (_, wrong) => {
    const sealed = await sealer.seal(SECRET, context);

    await expect(sealer.open(sealed, wrong)).rejects.toThrow();
  });

  it('refuses a value sealed under another master key', async () => {
    const other = new EnvelopeSealer(new LocalDataKeys(randomBytes(32)));
    const sealed = await other.seal(SECRET, context);

    await expect(sealer.open(sealed, context)).rejects.toThrow();
  });
});
