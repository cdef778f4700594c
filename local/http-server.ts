import type { IncomingMessage, Server } from 'node:http';

/** Listens on loopback (port 0 picks a free one) and returns the base URL. */
export async function listenOnLoopback(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
}

/** Closes the server and every open connection, so nothing keeps the process alive. */
export function closeServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (!server) {
      resolve();
      return;
    }
    server.close(() => {
      resolve();
    });
    server.closeAllConnections();
  });
}

/**
 * Reads a request's whole body. With `maxBytes`, gives null as soon as the body grows past it and
 * discards the request (and its connection) right after the caller has answered.
 */
export async function readBody(req: IncomingMessage): Promise<Buffer>;
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | null>;
export async function readBody(req: IncomingMessage, maxBytes = Infinity): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Iterated by hand: leaving a for-await loop early would destroy the request before the answer is written.
  const iterator: AsyncIterator<Buffer> = req[Symbol.asyncIterator]();
  for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
    size += next.value.length;
    if (size > maxBytes) {
      setImmediate(() => req.destroy());
      return null;
    }
    chunks.push(next.value);
  }
  return Buffer.concat(chunks);
}
