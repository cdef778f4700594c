/**
 * SSRF guard for webhook targets, run at registration and again before every send. It parses the
 * URL, rejects hosts by name, resolves every A and AAAA record and rejects the target if any
 * address is not public unicast. The sender then connects to one of the returned `addresses`,
 * never to a fresh DNS answer, so a rebinding resolver cannot swap in an internal address.
 *
 * Loopback in the local twin (`allowLoopbackHttp: true`): loopback addresses (127/8, ::1) and the
 * names `localhost`/`*.localhost` become allowed over http and https, and http is allowed only when
 * every resolved address is loopback. Every other blocked range stays blocked in that mode.
 */

/** All A and AAAA addresses of a host name; rejects when the name does not resolve (the DNS port). */
export type Resolver = (hostname: string) => Promise<string[]>;

export interface GuardOptions {
  allowLoopbackHttp: boolean;
  /** DNS behind a port: the system resolver in the functions, a fake in tests (no test touches the network). */
  resolver: Resolver;
}

export type GuardCode =
  | 'url_invalid'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'host_not_allowed'
  | 'address_not_allowed'
  | 'dns_failed';

export type GuardResult = { ok: true; url: URL; addresses: string[] } | { ok: false; code: GuardCode; reason: string };

export type AddressClass = { allowed: true } | { allowed: false; range: string };

/**
 * Parses, checks and resolves a webhook URL. A success carries the addresses the sender must
 * connect to; a failure carries a stable code and a reason naming the offending part.
 * @example
 * const target = await checkWebhookTarget('https://hooks.example.com/x', { allowLoopbackHttp: false });
 * if (target.ok) await postPinned(target.url, target.addresses[0]!, init);
 */
export async function checkWebhookTarget(raw: string, options: GuardOptions): Promise<GuardResult> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return fail('url_invalid', 'not a URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    return fail('scheme_not_allowed', `scheme ${url.protocol} is not allowed`);
  if (url.username || url.password) return fail('credentials_in_url', 'credentials in the URL are not allowed');
  if (url.port === '0') return fail('url_invalid', 'port 0 is not a valid destination');
  if (url.protocol === 'http:' && !options.allowLoopbackHttp)
    return fail('scheme_not_allowed', 'only https URLs are allowed');

  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const isLiteral = ipVersion(host) !== 0;
  let addresses: string[];
  if (isLiteral) {
    addresses = [host];
  } else {
    const name = host.replace(/\.+$/, '');
    if (name === '') return fail('url_invalid', 'the URL has no host');
    const nameProblem = hostNameProblem(name, options.allowLoopbackHttp);
    if (nameProblem) return fail('host_not_allowed', `host ${name} is not allowed: ${nameProblem}`);
    try {
      addresses = [...new Set(await options.resolver(url.hostname))];
    } catch (error) {
      // DNS errors carry a string code (ENOTFOUND); a DOMException's numeric code says nothing.
      const code = (error as NodeJS.ErrnoException).code;
      const detail = typeof code === 'string' ? code : (error as Error).name;
      return fail('dns_failed', `could not resolve ${name}: ${detail}`);
    }
    if (addresses.length === 0) return fail('dns_failed', `${name} has no A or AAAA records`);
  }

  const ranges: string[] = [];
  for (const address of addresses) {
    const checked = classifyAddress(address);
    const range = checked.allowed ? 'public' : checked.range;
    if (range !== 'public' && !(range === 'loopback' && options.allowLoopbackHttp)) {
      const subject = isLiteral ? `address ${address}` : `${host} resolves to ${address}, which`;
      return fail('address_not_allowed', `${subject} is ${range}`);
    }
    ranges.push(range);
  }
  if (url.protocol === 'http:' && ranges.some((range) => range !== 'loopback')) {
    return fail('scheme_not_allowed', 'http is allowed only to loopback addresses');
  }
  return { ok: true, url, addresses };
}

/**
 * Whether a connection to this address may leave for the public internet. Pure; accepts IPv4,
 * IPv6 (with or without brackets or a zone id) and the legacy IPv4 spellings WHATWG accepts.
 * Anything that is not an address is refused, so the caller fails closed.
 * @example
 * classifyAddress('::ffff:127.0.0.1'); // { allowed: false, range: 'ipv4-mapped loopback' }
 */
export function classifyAddress(address: string): AddressClass {
  const text = address
    .trim()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/%.*$/, '');
  if (ipVersion(text) === 4) return verdict(ipv4Range(ipv4ToNumber(text)));
  if (ipVersion(text) === 6) return verdict(ipv6Range(ipv6ToBigInt(text)));
  const legacy = legacyIpv4(text);
  if (legacy !== undefined) return verdict(ipv4Range(ipv4ToNumber(legacy)));
  return { allowed: false, range: 'not-an-ip-address' };
}

function fail(code: GuardCode, reason: string): GuardResult {
  return { ok: false, code, reason };
}

function verdict(range: string | undefined): AddressClass {
  return range === undefined ? { allowed: true } : { allowed: false, range };
}

// Special-use names (RFC 6761, RFC 6762, RFC 8375, ICANN's .internal) that must never leave the
// platform's own network; matched on the name itself and on any subdomain.
const BLOCKED_NAME_SUFFIXES = ['localhost', 'localdomain', 'local', 'internal', 'home.arpa'];

// Names that cloud resolvers answer with the instance metadata service.
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

function hostNameProblem(name: string, allowLoopback: boolean): string | undefined {
  if (METADATA_HOSTS.has(name)) return 'cloud metadata host';
  if (allowLoopback && (name === 'localhost' || name.endsWith('.localhost'))) return undefined;
  const suffix = BLOCKED_NAME_SUFFIXES.find((blocked) => name === blocked || name.endsWith(`.${blocked}`));
  if (suffix) return `.${suffix} names are internal`;
  // A single label is completed from the resolver's search domains, i.e. an internal zone.
  if (!name.includes('.')) return 'single-label host names are internal';
  return undefined;
}

function legacyIpv4(text: string): string | undefined {
  if (!/^[0-9a-fx.]+$/i.test(text)) return undefined;
  try {
    const hostname = new URL(`http://${text}/`).hostname;
    return ipVersion(hostname) === 4 ? hostname : undefined;
  } catch {
    return undefined;
  }
}

type Ipv4Rule = { base: number; prefix: number; range: string };

function v4(cidr: string, range: string): Ipv4Rule {
  const [base = '', prefix = '32'] = cidr.split('/');
  return { base: ipv4ToNumber(base), prefix: Number(prefix), range };
}

// First match wins: exact addresses come first so the reason names them.
const IPV4_RULES: Ipv4Rule[] = [
  v4('169.254.169.254', 'cloud-metadata'), // AWS, GCP, Azure, OCI instance metadata
  v4('169.254.170.2', 'cloud-metadata'), // ECS task metadata and credentials
  v4('169.254.170.23', 'cloud-metadata'), // EKS Pod Identity agent
  v4('100.100.100.200', 'cloud-metadata'), // Alibaba Cloud metadata
  v4('255.255.255.255', 'broadcast'),
  v4('0.0.0.0/8', 'unspecified'),
  v4('10.0.0.0/8', 'private'),
  v4('100.64.0.0/10', 'cgnat'),
  v4('127.0.0.0/8', 'loopback'),
  v4('169.254.0.0/16', 'link-local'),
  v4('172.16.0.0/12', 'private'),
  v4('192.0.0.0/24', 'ietf-protocol-assignments'),
  v4('192.0.2.0/24', 'documentation'),
  v4('192.88.99.0/24', '6to4-relay-anycast'),
  v4('192.168.0.0/16', 'private'),
  v4('198.18.0.0/15', 'benchmarking'),
  v4('198.51.100.0/24', 'documentation'),
  v4('203.0.113.0/24', 'documentation'),
  v4('224.0.0.0/4', 'multicast'),
  v4('240.0.0.0/4', 'reserved'),
];

function ipv4Range(address: number): string | undefined {
  return IPV4_RULES.find((rule) => address >>> (32 - rule.prefix) === rule.base >>> (32 - rule.prefix))?.range;
}

function ipv4ToNumber(text: string): number {
  return text.split('.').reduce((value, octet) => value * 256 + Number(octet), 0) >>> 0;
}

type Ipv6Rule = { base: bigint; prefix: number; range: string; embedsIpv4?: (address: bigint) => number };

function v6(cidr: string, range: string, embedsIpv4?: (address: bigint) => number): Ipv6Rule {
  const [base = '', prefix = '128'] = cidr.split('/');
  return { base: ipv6ToBigInt(base), prefix: Number(prefix), range, embedsIpv4 };
}

const low32 = (address: bigint): number => Number(address & 0xffffffffn);

// First match wins. Forms that carry an IPv4 address are judged by that address, so
// ::ffff:127.0.0.1, 64:ff9b::7f00:1 and 2002:7f00:1:: are all loopback in disguise.
const IPV6_RULES: Ipv6Rule[] = [
  v6('fd00:ec2::254', 'cloud-metadata'), // AWS instance metadata over IPv6
  v6('fd00:ec2::23', 'cloud-metadata'), // EKS Pod Identity agent over IPv6
  v6('::', 'unspecified'),
  v6('::1', 'loopback'),
  v6('::ffff:0:0/96', 'ipv4-mapped', low32),
  v6('::/96', 'ipv4-compatible', low32),
  v6('64:ff9b::/96', 'nat64', low32),
  v6('64:ff9b:1::/48', 'nat64-local-use'),
  v6('100::/64', 'discard-only'),
  v6('2001::/32', 'teredo'),
  v6('2001:2::/48', 'benchmarking'),
  v6('2001:db8::/32', 'documentation'),
  v6('2001::/23', 'ietf-protocol-assignments'),
  v6('2002::/16', '6to4', (address) => Number((address >> 80n) & 0xffffffffn)),
  v6('3fff::/20', 'documentation'),
  v6('fc00::/7', 'unique-local'),
  v6('fe80::/10', 'link-local'),
  v6('fec0::/10', 'site-local'),
  v6('ff00::/8', 'multicast'),
];

const GLOBAL_UNICAST = v6('2000::/3', 'global-unicast');

function ipv6Range(address: bigint): string | undefined {
  const rule = IPV6_RULES.find((candidate) => inV6(address, candidate));
  if (rule?.embedsIpv4) {
    const embedded = ipv4Range(rule.embedsIpv4(address));
    if (embedded !== undefined) return `${rule.range} ${embedded}`;
    // IPv4-compatible addresses are deprecated (RFC 4291) and never legitimately routed.
    return rule.range === 'ipv4-compatible' ? rule.range : undefined;
  }
  if (rule) return rule.range;
  // Everything outside 2000::/3 is unallocated or special-purpose.
  return inV6(address, GLOBAL_UNICAST) ? undefined : 'reserved';
}

function inV6(address: bigint, rule: { base: bigint; prefix: number }): boolean {
  const shift = BigInt(128 - rule.prefix);
  return address >> shift === rule.base >> shift;
}

// Expects text that `isIP` accepted as IPv6, without zone id.
function ipv6ToBigInt(text: string): bigint {
  const groups = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((piece) => {
          if (!piece.includes('.')) return [parseInt(piece, 16)];
          const embedded = ipv4ToNumber(piece);
          return [embedded >>> 16, embedded & 0xffff];
        });
  const gap = text.indexOf('::');
  const head = groups(gap === -1 ? text : text.slice(0, gap));
  const tail = gap === -1 ? [] : groups(text.slice(gap + 2));
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  return all.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

// The address grammar `node:net`'s isIP accepts (dotted-quad IPv4 without leading zeros; IPv6 with
// an optional zone id), written out so the guard stays free of I/O modules.
const V4_OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const V4 = `(?:${V4_OCTET}\\.){3}${V4_OCTET}`;
const V6_GROUP = '(?:[0-9a-fA-F]{1,4})';
const IPV4_LITERAL = new RegExp(`^${V4}$`);
const IPV6_LITERAL = new RegExp(
  '^(?:' +
    `(?:${V6_GROUP}:){7}(?:${V6_GROUP}|:)|` +
    `(?:${V6_GROUP}:){6}(?:${V4}|:${V6_GROUP}|:)|` +
    `(?:${V6_GROUP}:){5}(?::${V4}|(?::${V6_GROUP}){1,2}|:)|` +
    `(?:${V6_GROUP}:){4}(?:(?::${V6_GROUP}){0,1}:${V4}|(?::${V6_GROUP}){1,3}|:)|` +
    `(?:${V6_GROUP}:){3}(?:(?::${V6_GROUP}){0,2}:${V4}|(?::${V6_GROUP}){1,4}|:)|` +
    `(?:${V6_GROUP}:){2}(?:(?::${V6_GROUP}){0,3}:${V4}|(?::${V6_GROUP}){1,5}|:)|` +
    `(?:${V6_GROUP}:){1}(?:(?::${V6_GROUP}){0,4}:${V4}|(?::${V6_GROUP}){1,6}|:)|` +
    `(?::(?:(?::${V6_GROUP}){0,5}:${V4}|(?::${V6_GROUP}){1,7}|:))` +
    ')(?:%[0-9a-zA-Z-.:]{1,})?$',
);

/** 4 or 6 for an IP address literal, 0 for anything else (the contract of `net.isIP`). */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (IPV4_LITERAL.test(text)) return 4;
  if (IPV6_LITERAL.test(text)) return 6;
  return 0;
}
