/**
 * Looks for credentials in log lines. Each kind of credential says which strings of one value would
 * give it away (the whole value, a prefix long enough to guess the rest from, its body without a
 * well-known prefix); a new kind of credential (OAuth client secrets, access tokens) is one more
 * entry in CREDENTIAL_KINDS and the scan covers it.
 */
export interface CredentialKind {
  kind: string;
  /** The strings that must appear in no log line when `value` is a credential of this kind. */
  needles(value: string): string[];
}

/** Long enough that a match is the credential, not a coincidence (an API key's first 12 characters). */
const MIN_PREFIX = 12;

/** The body of a prefixed credential (`whsec_…`, `whsk_…`), as logged without its prefix. */
const withoutPrefix = (value: string) => value.replace(/^[a-z]+_/, '');

export const CREDENTIAL_KINDS = {
  apiKey: {
    // `llk_<keyId>_<random>`: the key id is no secret (logs name it), the random part after it is.
    kind: 'API key',
    needles: (value) => [value, value.slice(0, MIN_PREFIX), value.slice(-43)],
  },
  webhookSecret: {
    kind: 'webhook signing secret',
    needles: (value) => [value, withoutPrefix(value)],
  },
  webhookSigningKey: {
    kind: 'webhook ed25519 signing key',
    needles: (value) => [value, withoutPrefix(value)],
  },
  webhookSignature: {
    // A `webhook-signature` header: the whole value and every signature in it, with and without its version.
    kind: 'webhook signature',
    needles: (value) => [value, ...value.split(' ').flatMap((entry) => [entry, entry.slice(entry.indexOf(',') + 1)])],
  },
  oauthClientSecret: {
    kind: 'OAuth client secret',
    needles: (value) => [value, withoutPrefix(value)],
  },
  accessToken: {
    // A JWT: whole, and its signature alone (the part that makes it usable); claims are not secret.
    kind: 'OAuth access token',
    needles: (value) => [value, value.slice(value.lastIndexOf('.') + 1)],
  },
} satisfies Record<string, CredentialKind>;

export interface Secret {
  kind: CredentialKind;
  value: string;
}

export interface Finding {
  kind: string;
  lineNumber: number;
  /** The line with the secret masked, so the report does not leak it further. */
  line: string;
}

/**
 * Every line that contains any needle of any secret.
 * @example scanForSecrets(['key=llk_abc…'], [{ kind: CREDENTIAL_KINDS.apiKey, value: 'llk_abc…' }])
 */
export function scanForSecrets(lines: string[], secrets: Secret[]): Finding[] {
  const needles = secrets.flatMap(({ kind, value }) =>
    [...new Set(kind.needles(value))].filter((n) => n.length >= MIN_PREFIX).map((needle) => ({ kind, needle })),
  );
  return lines.flatMap((line, index) =>
    needles
      .filter(({ needle }) => line.includes(needle))
      .map(({ kind, needle }) => ({
        kind: kind.kind,
        lineNumber: index + 1,
        line: line.replaceAll(needle, '«secret»'),
      })),
  );
}
