import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postPinned } from '../../functions/adapters/pinned-http';

// A real server on 127.0.0.1; the guard is not involved here, so loopback is fine.
describe('postPinned', () => {
  let server: Server;
  let port: number;
  const received: Array<{ url: string; host: string; method: string; contentType: string; body: string }> = [];

  const routes: Record<string, (request: IncomingMessage, response: ServerResponse, body: string) => void> = {
    '/echo': (_request, response, body) => {
      response.writeHead(201, {
        'content-type': 'application/json',
        'x-seen-body-bytes': String(Buffer.byteLength(body)),
      });
      response.end(JSON.stringify({ echoed: body }));
    },
    '/redirect': (_request, response) => {
      response.writeHead(302, { location: `http://127.0.0.1:${port}/echo` });
      response.end('moved');
    },
    '/silent': () => undefined,
    '/stalled-body': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first part, then nothing');
    },
    '/large': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(256 * 1024));
    },
  };

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({
          url: request.url ?? '',
          host: request.headers.host ?? '',
          method: request.method ?? '',
          contentType: request.headers['content-type'] ?? '',
          body,
        });
        routes[new URL(request.url ?? '/', 'http://server').pathname]?.(request, response, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    received.length = 0;
  });

  const init = {
    headers: { 'content-type': 'application/json' },
    body: '{"type":"points.earned"}',
    timeoutMs: 2000,
    maxResponseBytes: 64 * 1024,
  };

  it('passes status, headers and body through', async () => {
    // Act
    const response = await postPinned(new URL(`http://127.0.0.1:${port}/echo?attempt=1`), '127.0.0.1', init);

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers['x-seen-body-bytes']).toBe('24');
    expect(JSON.parse(response.body)).toEqual({ echoed: init.body });
    expect(received).toEqual([
      {
        url: '/echo?attempt=1',
        host: `127.0.0.1:${port}`,
        method: 'POST',
        contentType: 'application/json',
        body: init.body,
      },
    ]);
  });

  it('connects to the pinned address, not to what the URL host resolves to', async () => {
    // Prepare: .invalid never resolves (RFC 6761), so only the pin can reach the server
    const url = new URL(`http://example.invalid:${port}/echo`);

    // Act
    const response = await postPinned(url, '127.0.0.1', init);

    // Assess
    expect(response.status).toBe(201);
    expect(received).toHaveLength(1);
    expect(received[0]?.host).toBe(`example.invalid:${port}`);
  });

  it('returns a 302 as it is, without following it', async () => {
    // Act
    const response = await postPinned(new URL(`http://127.0.0.1:${port}/redirect`), '127.0.0.1', init);

    // Assess
    expect(response.status).toBe(302);
    expect(response.headers.location).toBe(`http://127.0.0.1:${port}/echo`);
    expect(response.body).toBe('moved');
    expect(received.map((request) => request.url)).toEqual(['/redirect']);
  });

  it('rejects with a TimeoutError when no response arrives in time', async () => {
    // Act
    const outcome = postPinned(new URL(`http://127.0.0.1:${port}/silent`), '127.0.0.1', { ...init, timeoutMs: 100 });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('counts the body against the same timeout', async () => {
    // Act
    const outcome = postPinned(new URL(`http://127.0.0.1:${port}/stalled-body`), '127.0.0.1', {
      ...init,
      timeoutMs: 150,
    });

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('truncates a long body at maxResponseBytes instead of failing', async () => {
    // Act
    const response = await postPinned(new URL(`http://127.0.0.1:${port}/large`), '127.0.0.1', {
      ...init,
      maxResponseBytes: 1000,
    });

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toBe('x'.repeat(1000));
  });

  it('refuses an address literal in the URL that differs from the pinned address', async () => {
    // Act
    const outcome = postPinned(new URL(`http://10.0.0.1:${port}/echo`), '127.0.0.1', init);

    // Assess
    await expect(outcome).rejects.toThrow('URL host 10.0.0.1 is an address other than the pinned 127.0.0.1');
    expect(received).toEqual([]);
  });

  it('refuses a pinned value that is not an IP address', async () => {
    // Act / Assess
    await expect(postPinned(new URL(`http://127.0.0.1:${port}/echo`), 'localhost', init)).rejects.toThrow(
      'pinned address localhost is not an IP address',
    );
  });
});
