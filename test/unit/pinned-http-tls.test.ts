import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { postPinned } from '../../functions/adapters/pinned-http';

/**
 * Outbound webhooks take TLS 1.2 or later even when the runtime's defaults allow less (as `--tls-min-v1.0` in
 * NODE_OPTIONS would). The servers use a self-signed certificate the client does not trust, so how a call fails
 * tells how far the handshake got: a protocol-version error means the client refused the TLS version; a
 * certificate error means the version was accepted.
 */
describe('postPinned over HTTPS', () => {
  const defaults = { minVersion: tls.DEFAULT_MIN_VERSION, ciphers: tls.DEFAULT_CIPHERS };
  let dir: string;
  const servers: Server[] = [];
  const init = { headers: {}, body: '{}', timeoutMs: 5000, maxResponseBytes: 1024 };

  /** An HTTPS server on loopback that speaks at most `maxVersion`; resolves to its port. */
  const serve = async (maxVersion: tls.SecureVersion): Promise<number> => {
    const server = createServer(
      {
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
        minVersion: 'TLSv1',
        maxVersion,
        // OpenSSL refuses TLS below 1.2 above security level 0.
        ciphers: 'DEFAULT@SECLEVEL=0',
      },
      (_request, response) => response.end('ok'),
    );
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'pinned-tls-'));
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=hooks.example.test'].concat([
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ]),
      { stdio: 'ignore' },
    );
    // A runtime that would allow TLS 1.0 and weak suites: only the client's own setting stands in the way.
    tls.DEFAULT_MIN_VERSION = 'TLSv1';
    tls.DEFAULT_CIPHERS = 'DEFAULT@SECLEVEL=0';
  });

  afterAll(async () => {
    tls.DEFAULT_MIN_VERSION = defaults.minVersion;
    tls.DEFAULT_CIPHERS = defaults.ciphers;
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a server that offers only TLS 1.1', async () => {
    // Prepare
    const port = await serve('TLSv1.1');

    // Act
    const outcome = postPinned(new URL(`https://hooks.example.test:${port}/hook`), '127.0.0.1', init);

    // Assess: refused at the version, before any certificate was looked at
    await expect(outcome).rejects.toMatchObject({
      code: 'EPROTO',
      message: expect.stringMatching(/unsupported protocol|protocol version/i),
    });
  });

  it('goes through the handshake with a TLS 1.2 server (and then checks its certificate)', async () => {
    // Prepare
    const port = await serve('TLSv1.2');

    // Act
    const outcome = postPinned(new URL(`https://hooks.example.test:${port}/hook`), '127.0.0.1', init);

    // Assess: the version was accepted; the untrusted certificate is what stops it
    await expect(outcome).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});
