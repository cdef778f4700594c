import { createSystemResolver, systemResolver } from '../../functions/adapters/system-resolver';
import {
  checkWebhookTarget,
  classifyAddress,
  type GuardResult,
  type Resolver,
} from '../../functions/domain/webhooks/ssrf-guard';
import { asPromise } from '../support/as-promise';

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';

/** A resolver over a fixed table; unknown names fail like getaddrinfo does. */
function fakeResolver(records: Record<string, string[]>): Resolver & { calls: string[] } {
  const calls: string[] = [];
  const resolver = (hostname: string): Promise<string[]> =>
    asPromise(() => {
      calls.push(hostname);
      const addresses = records[hostname];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return addresses;
    });
  return Object.assign(resolver, { calls });
}

const dns = {
  'hooks.example.com': [PUBLIC_V4, PUBLIC_V6],
  'v4only.example.com': [PUBLIC_V4],
  localhost: ['127.0.0.1', '::1'],
  'localhost.': ['127.0.0.1', '::1'],
  'api.localhost': ['127.0.0.1'],
  'rebind-v4.attacker.example': [PUBLIC_V4, '10.0.0.5'],
  'rebind-v6.attacker.example': [PUBLIC_V6, '::1'],
  '127.0.0.1.nip.io': ['127.0.0.1'],
  'imds.attacker.example': ['169.254.169.254'],
  'ecs.attacker.example': [PUBLIC_V4, '169.254.170.2'],
  'mapped.attacker.example': ['::ffff:10.0.0.1'],
  'zoned.attacker.example': ['fe80::1%eth0'],
  'ula.attacker.example': ['fd12:3456:789a::1'],
  'garbage.attacker.example': ['not-an-address'],
  'empty.example.com': [],
  'public-loopback-mix.example': ['127.0.0.1', PUBLIC_V4],
};

const deployed = { allowLoopbackHttp: false, resolver: fakeResolver(dns) };
const twin = { allowLoopbackHttp: true, resolver: fakeResolver(dns) };

function failure(result: GuardResult): { code: string; reason: string } {
  if (result.ok) throw new Error(`expected a rejection, got addresses ${result.addresses.join(', ')}`);
  return { code: result.code, reason: result.reason };
}

describe('checkWebhookTarget', () => {
  // [url, expected code, text the reason must contain]
  const hostile: Array<[string, string, string]> = [
    // Not URLs, or URLs no client should dial
    ['not a url', 'url_invalid', 'not a URL'],
    ['https://[fe80::1%25eth0]/', 'url_invalid', 'not a URL'],
    ['https://%5B::1%5D/', 'url_invalid', 'not a URL'],
    ['https://4294967296/', 'url_invalid', 'not a URL'],
    ['https://hooks.example.com:0/x', 'url_invalid', 'port 0'],
    // Schemes
    ['file:///etc/passwd', 'scheme_not_allowed', 'file:'],
    ['gopher://127.0.0.1:6379/_INFO', 'scheme_not_allowed', 'gopher:'],
    ['ftp://hooks.example.com/', 'scheme_not_allowed', 'ftp:'],
    ['data:text/plain,hello', 'scheme_not_allowed', 'data:'],
    ['javascript:alert(1)', 'scheme_not_allowed', 'javascript:'],
    ['dict://127.0.0.1:11211/stats', 'scheme_not_allowed', 'dict:'],
    ['ws://hooks.example.com/', 'scheme_not_allowed', 'ws:'],
    ['http://hooks.example.com/x', 'scheme_not_allowed', 'only https'],
    ['http://127.0.0.1:3000/', 'scheme_not_allowed', 'only https'],
    // Credentials
    ['https://user:secret@hooks.example.com/', 'credentials_in_url', 'credentials'],
    ['https://user@hooks.example.com/', 'credentials_in_url', 'credentials'],
    ['https://hooks.example.com@127.0.0.1/', 'credentials_in_url', 'credentials'],
    // Names
    ['https://localhost/', 'host_not_allowed', '.localhost'],
    ['https://LOCALHOST:8443/', 'host_not_allowed', '.localhost'],
    ['https://localhost./', 'host_not_allowed', '.localhost'],
    ['https://localhost.../', 'host_not_allowed', '.localhost'],
    ['https://%6c%6f%63%61%6c%68%6f%73%74/', 'host_not_allowed', '.localhost'],
    ['https://ｌｏｃａｌｈｏｓｔ/', 'host_not_allowed', '.localhost'],
    ['https://api.localhost/', 'host_not_allowed', '.localhost'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'host_not_allowed', 'cloud metadata'],
    ['https://Metadata.Google.Internal./', 'host_not_allowed', 'cloud metadata'],
    ['https://metadata.goog/', 'host_not_allowed', 'cloud metadata'],
    ['https://instance-data/latest/', 'host_not_allowed', 'cloud metadata'],
    ['https://db.internal/', 'host_not_allowed', '.internal'],
    ['https://printer.local/', 'host_not_allowed', '.local'],
    ['https://router.home.arpa/', 'host_not_allowed', '.home.arpa'],
    ['https://intranet/', 'host_not_allowed', 'single-label'],
    // IPv4 loopback in every spelling WHATWG normalises
    ['https://127.0.0.1/', 'address_not_allowed', 'loopback'],
    ['https://127.0.0.1./', 'address_not_allowed', 'loopback'],
    ['https://2130706433/', 'address_not_allowed', 'loopback'],
    ['https://0177.0.0.1/', 'address_not_allowed', 'loopback'],
    ['https://0x7f.1/', 'address_not_allowed', 'loopback'],
    ['https://0x7f000001/', 'address_not_allowed', 'loopback'],
    ['https://017700000001/', 'address_not_allowed', 'loopback'],
    ['https://127.1/', 'address_not_allowed', 'loopback'],
    ['https://127.000.000.001/', 'address_not_allowed', 'loopback'],
    ['https://%31%32%37.0.0.1/', 'address_not_allowed', 'loopback'],
    ['https://127。0。0。1/', 'address_not_allowed', 'loopback'],
    ['https://①②⑦.0.0.1/', 'address_not_allowed', 'loopback'],
    // IPv6 loopback and IPv4 hidden in IPv6
    ['https://[::1]/', 'address_not_allowed', 'loopback'],
    ['https://[0:0:0:0:0:0:0:1]:8443/', 'address_not_allowed', 'loopback'],
    ['https://[::ffff:127.0.0.1]/', 'address_not_allowed', 'ipv4-mapped loopback'],
    ['https://[::ffff:7f00:1]/', 'address_not_allowed', 'ipv4-mapped loopback'],
    ['https://[0:0:0:0:0:ffff:127.0.0.1]/', 'address_not_allowed', 'ipv4-mapped loopback'],
    ['https://[::127.0.0.1]/', 'address_not_allowed', 'ipv4-compatible loopback'],
    ['https://[::ffff:169.254.169.254]/', 'address_not_allowed', 'ipv4-mapped cloud-metadata'],
    ['https://[::ffff:10.1.2.3]/', 'address_not_allowed', 'ipv4-mapped private'],
    ['https://[64:ff9b::127.0.0.1]/', 'address_not_allowed', 'nat64 loopback'],
    ['https://[64:ff9b::a9fe:a9fe]/', 'address_not_allowed', 'nat64 cloud-metadata'],
    ['https://[2002:7f00:1::]/', 'address_not_allowed', '6to4 loopback'],
    ['https://[2002:c0a8:101::1]/', 'address_not_allowed', '6to4 private'],
    // Cloud metadata, named explicitly
    ['https://169.254.169.254/latest/meta-data/', 'address_not_allowed', 'cloud-metadata'],
    ['https://169.254.170.2/v2/credentials', 'address_not_allowed', 'cloud-metadata'],
    ['https://100.100.100.200/latest/meta-data/', 'address_not_allowed', 'cloud-metadata'],
    ['https://[fd00:ec2::254]/latest/meta-data/', 'address_not_allowed', 'cloud-metadata'],
    // Private, shared and special-purpose ranges
    ['https://10.0.0.1/', 'address_not_allowed', 'private'],
    ['https://172.16.0.1/', 'address_not_allowed', 'private'],
    ['https://172.31.255.255/', 'address_not_allowed', 'private'],
    ['https://192.168.1.1/', 'address_not_allowed', 'private'],
    ['https://169.254.1.1/', 'address_not_allowed', 'link-local'],
    ['https://100.64.0.1/', 'address_not_allowed', 'cgnat'],
    ['https://100.127.255.254/', 'address_not_allowed', 'cgnat'],
    ['https://0.0.0.0/', 'address_not_allowed', 'unspecified'],
    ['https://0/', 'address_not_allowed', 'unspecified'],
    ['https://[::]/', 'address_not_allowed', 'unspecified'],
    ['https://255.255.255.255/', 'address_not_allowed', 'broadcast'],
    ['https://4294967295/', 'address_not_allowed', 'broadcast'],
    ['https://240.0.0.1/', 'address_not_allowed', 'reserved'],
    ['https://224.0.0.1/', 'address_not_allowed', 'multicast'],
    ['https://239.255.255.250/', 'address_not_allowed', 'multicast'],
    ['https://198.18.0.1/', 'address_not_allowed', 'benchmarking'],
    ['https://198.19.255.255/', 'address_not_allowed', 'benchmarking'],
    ['https://192.0.2.1/', 'address_not_allowed', 'documentation'],
    ['https://198.51.100.7/', 'address_not_allowed', 'documentation'],
    ['https://203.0.113.9/', 'address_not_allowed', 'documentation'],
    ['https://192.0.0.8/', 'address_not_allowed', 'ietf-protocol-assignments'],
    ['https://[fe80::1]/', 'address_not_allowed', 'link-local'],
    ['https://[fc00::1]/', 'address_not_allowed', 'unique-local'],
    ['https://[fd12:3456::1]/', 'address_not_allowed', 'unique-local'],
    ['https://[fec0::1]/', 'address_not_allowed', 'site-local'],
    ['https://[ff02::1]/', 'address_not_allowed', 'multicast'],
    ['https://[2001:db8::1]/', 'address_not_allowed', 'documentation'],
    ['https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', 'address_not_allowed', 'teredo'],
    // Names whose DNS answers point inside
    ['https://rebind-v4.attacker.example/', 'address_not_allowed', '10.0.0.5, which is private'],
    ['https://rebind-v6.attacker.example/', 'address_not_allowed', '::1, which is loopback'],
    ['https://127.0.0.1.nip.io/', 'address_not_allowed', 'loopback'],
    ['https://imds.attacker.example/', 'address_not_allowed', 'cloud-metadata'],
    ['https://ecs.attacker.example/', 'address_not_allowed', '169.254.170.2, which is cloud-metadata'],
    ['https://mapped.attacker.example/', 'address_not_allowed', 'ipv4-mapped private'],
    ['https://zoned.attacker.example/', 'address_not_allowed', 'link-local'],
    ['https://ula.attacker.example/', 'address_not_allowed', 'unique-local'],
    ['https://garbage.attacker.example/', 'address_not_allowed', 'not-an-ip-address'],
    // DNS
    ['https://nxdomain.example.com/', 'dns_failed', 'ENOTFOUND'],
    ['https://empty.example.com/', 'dns_failed', 'no A or AAAA records'],
  ];

  it.each(hostile)('rejects %s with %s', async (raw, code, reasonPart) => {
    // Act
    const result = await checkWebhookTarget(raw, deployed);

    // Assess
    const { code: actualCode, reason } = failure(result);
    expect(actualCode).toBe(code);
    expect(reason).toContain(reasonPart);
  });

  it('accepts a public https URL and returns every resolved address for pinning', async () => {
    // Act
    const result = await checkWebhookTarget('https://hooks.example.com/x', deployed);

    // Assess
    expect(result).toEqual({
      ok: true,
      url: new URL('https://hooks.example.com/x'),
      addresses: [PUBLIC_V4, PUBLIC_V6],
    });
  });

  it('accepts a public address literal and any port but 0, without asking DNS', async () => {
    // Prepare
    const resolver = fakeResolver({});

    // Act
    const v4 = await checkWebhookTarget('https://93.184.215.14:8443/hook', { allowLoopbackHttp: false, resolver });
    const v6 = await checkWebhookTarget(`https://[${PUBLIC_V6}]/hook`, { allowLoopbackHttp: false, resolver });
    const mapped = await checkWebhookTarget('https://[::ffff:93.184.215.14]/hook', {
      allowLoopbackHttp: false,
      resolver,
    });

    // Assess
    expect(v4).toMatchObject({ ok: true, addresses: [PUBLIC_V4] });
    expect(v6).toMatchObject({ ok: true, addresses: [PUBLIC_V6] });
    expect(mapped).toMatchObject({ ok: true, addresses: ['::ffff:5db8:d70e'] });
    expect(resolver.calls).toEqual([]);
  });

  it('never sends a name it rejects by name to DNS', async () => {
    // Prepare
    const resolver = fakeResolver(dns);

    // Act
    await checkWebhookTarget('https://metadata.google.internal/', { allowLoopbackHttp: false, resolver });
    await checkWebhookTarget('https://localhost/', { allowLoopbackHttp: false, resolver });

    // Assess
    expect(resolver.calls).toEqual([]);
  });

  it('reports a DNS timeout from the system resolver as dns_failed', async () => {
    // Prepare
    const resolver = createSystemResolver({ timeoutMs: 20, lookupAll: () => new Promise(() => undefined) });

    // Act
    const result = await checkWebhookTarget('https://hooks.example.com/x', { allowLoopbackHttp: false, resolver });

    // Assess
    expect(failure(result)).toEqual({
      code: 'dns_failed',
      reason: 'could not resolve hooks.example.com: TimeoutError',
    });
  });

  it('reports a DNS error from the system resolver as dns_failed', async () => {
    // Prepare
    const lookupAll = () => Promise.reject(Object.assign(new Error('queryA ESERVFAIL'), { code: 'ESERVFAIL' }));
    const resolver = createSystemResolver({ timeoutMs: 1000, lookupAll });

    // Act
    const result = await checkWebhookTarget('https://hooks.example.com/x', { allowLoopbackHttp: false, resolver });

    // Assess
    expect(failure(result)).toEqual({ code: 'dns_failed', reason: 'could not resolve hooks.example.com: ESERVFAIL' });
  });

  it('returns every address the system lookup gives, in its order', async () => {
    // Prepare
    const resolver = createSystemResolver({
      lookupAll: () =>
        Promise.resolve([
          { address: PUBLIC_V6, family: 6 },
          { address: PUBLIC_V4, family: 4 },
        ]),
    });

    // Act / Assess
    await expect(resolver('hooks.example.com')).resolves.toEqual([PUBLIC_V6, PUBLIC_V4]);
    // An address literal is answered locally by getaddrinfo, so this stays off the network.
    await expect(systemResolver('127.0.0.1')).resolves.toEqual(['127.0.0.1']);
  });

  describe('loopback http in the local twin', () => {
    it.each([
      ['http://127.0.0.1:3000/hooks', ['127.0.0.1']],
      ['http://127.0.0.2:3000/hooks', ['127.0.0.2']],
      ['http://[::1]:3000/hooks', ['::1']],
      ['http://localhost:3000/hooks', ['127.0.0.1', '::1']],
      ['http://localhost.:3000/hooks', ['127.0.0.1', '::1']],
      ['http://api.localhost:3000/hooks', ['127.0.0.1']],
      ['https://127.0.0.1:3443/hooks', ['127.0.0.1']],
      ['https://hooks.example.com/x', [PUBLIC_V4, PUBLIC_V6]],
    ])('allows %s when allowLoopbackHttp is set', async (raw, addresses) => {
      // Act
      const result = await checkWebhookTarget(raw, twin);

      // Assess
      expect(result).toMatchObject({ ok: true, addresses });
    });

    it.each([
      ['http://hooks.example.com/x', 'scheme_not_allowed'],
      ['http://public-loopback-mix.example/x', 'scheme_not_allowed'],
      ['http://10.0.0.1/', 'address_not_allowed'],
      ['http://169.254.169.254/latest/meta-data/', 'address_not_allowed'],
      ['http://[::ffff:127.0.0.1]/', 'address_not_allowed'],
      ['http://0.0.0.0:3000/', 'address_not_allowed'],
      ['http://metadata.google.internal/', 'host_not_allowed'],
      ['http://rebind-v4.attacker.example/', 'address_not_allowed'],
      ['gopher://127.0.0.1:3000/', 'scheme_not_allowed'],
    ])('still rejects %s with %s', async (raw, code) => {
      // Act
      const result = await checkWebhookTarget(raw, twin);

      // Assess
      expect(failure(result).code).toBe(code);
    });

    it('rejects loopback over either scheme when allowLoopbackHttp is off', async () => {
      // Act
      const results = await Promise.all(
        [
          'http://127.0.0.1:3000/',
          'http://localhost:3000/',
          'https://127.0.0.1/',
          'https://[::1]/',
          'https://localhost/',
        ].map((raw) => checkWebhookTarget(raw, deployed)),
      );

      // Assess
      expect(results.map((result) => failure(result).code)).toEqual([
        'scheme_not_allowed',
        'scheme_not_allowed',
        'address_not_allowed',
        'address_not_allowed',
        'host_not_allowed',
      ]);
    });
  });
});

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.255', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.255.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.0.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['100.64.0.1', 'cgnat'],
    ['fc00::1', 'unique-local'],
    ['fdff::1', 'unique-local'],
    ['::ffff:127.0.0.1', 'ipv4-mapped loopback'],
    ['::ffff:7f00:1', 'ipv4-mapped loopback'],
    ['::FFFF:7F00:1', 'ipv4-mapped loopback'],
    ['::127.0.0.1', 'ipv4-compatible loopback'],
    ['::8.8.8.8', 'ipv4-compatible'],
    ['64:ff9b::7f00:1', 'nat64 loopback'],
    ['64:ff9b::10.0.0.1', 'nat64 private'],
    ['64:ff9b:1::1', 'nat64-local-use'],
    ['2002:7f00:1::1', '6to4 loopback'],
    ['2002:a9fe:a9fe::', '6to4 cloud-metadata'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['198.18.0.1', 'benchmarking'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.1', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['192.0.0.1', 'ietf-protocol-assignments'],
    ['2001::1', 'teredo'],
    ['fec0::1', 'site-local'],
    ['169.254.169.254', 'cloud-metadata'],
    ['169.254.170.2', 'cloud-metadata'],
    ['fd00:ec2::254', 'cloud-metadata'],
    ['100.100.100.200', 'cloud-metadata'],
    ['::ffff:169.254.169.254', 'ipv4-mapped cloud-metadata'],
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['4000::1', 'reserved'],
    ['localhost', 'not-an-ip-address'],
    ['', 'not-an-ip-address'],
  ])('classifies %s as %s', (address, range) => {
    // Act / Assess
    expect(classifyAddress(address)).toEqual({ allowed: false, range });
  });

  it.each([
    PUBLIC_V4,
    PUBLIC_V6,
    '8.8.8.8',
    '1.1.1.1',
    '172.15.255.255',
    '172.32.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '2a00:1450:4009:81f::200e',
  ])('allows public %s', (address) => {
    // Act / Assess
    expect(classifyAddress(address)).toEqual({ allowed: true });
  });
});
