import { randomBytes } from 'node:crypto';
import { systemClock } from './clock';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The one id generator: `<prefix>_<ULID>` (48-bit millisecond time + 80 random bits, Crockford
 * base32), so ids sort by creation time and carry their kind.
 * @example newId('mem') // 'mem_01JD3Q8ZK7X9V2M4N6P8R0S2T4'
 */
export function newId(prefix: string, nowMs: number = systemClock.now().getTime()): string {
  let time = '';
  let t = nowMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD.charAt(t % 32) + time;
    t = Math.floor(t / 32);
  }
  const bytes = randomBytes(10);
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  let random = '';
  for (let i = 0; i < 16; i++) {
    random = CROCKFORD.charAt(Number(bits & 31n)) + random;
    bits >>= 5n;
  }
  return `${prefix}_${time}${random}`;
}
