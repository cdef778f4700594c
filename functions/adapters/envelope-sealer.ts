import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SealedSecret, SealingContext, SecretSealer } from '../domain/ports';

/** A master key that hands out 256-bit data keys and decrypts them again, for one context only. */
export interface DataKeySource {
  generate(context: SealingContext): Promise<{ plaintext: Buffer; encrypted: Buffer }>;
  decrypt(encrypted: Buffer, context: SealingContext): Promise<Buffer>;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;

/** The context as bytes that do not depend on key order: the additional authenticated data of the cipher. */
export function contextBytes(context: SealingContext): Buffer {
  const sorted = Object.keys(context)
    .sort()
    .map((name) => [name, context[name]]);
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

/**
 * Envelope encryption: a fresh data key per sealed value (from the master key, KMS deployed), AES-256-GCM
 * with the context as additional data, and the data key kept only in its encrypted form. The same format
 * deployed and on the twin; only the master key differs.
 */
export class EnvelopeSealer implements SecretSealer {
  constructor(private readonly keys: DataKeySource) {}

  async seal(plaintext: string, context: SealingContext): Promise<SealedSecret> {
    const dataKey = await this.keys.generate(context);
    try {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, dataKey.plaintext, iv);
      cipher.setAAD(contextBytes(context));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return {
        v: 1,
        encryptedKey: dataKey.encrypted.toString('base64'),
        iv: iv.toString('base64'),
        tag: cipher.getAuthTag().toString('base64'),
        ciphertext: ciphertext.toString('base64'),
      };
    } finally {
      dataKey.plaintext.fill(0);
    }
  }

  async open(sealed: SealedSecret, context: SealingContext): Promise<string> {
    // Read from the table, so the type promises nothing: a format this code does not know is refused.
    if ((sealed.v as number) !== 1) throw new Error(`Unknown sealed secret format ${String(sealed.v)}`);
    const dataKey = await this.keys.decrypt(Buffer.from(sealed.encryptedKey, 'base64'), context);
    try {
      const decipher = createDecipheriv(ALGORITHM, dataKey, Buffer.from(sealed.iv, 'base64'));
      decipher.setAAD(contextBytes(context));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'base64')), decipher.final()]).toString(
        'utf8',
      );
    } finally {
      dataKey.fill(0);
    }
  }
}
