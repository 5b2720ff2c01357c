import dc from 'node:diagnostics_channel';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A real HTTP server on 127.0.0.1 that counts the TCP connections it accepts and the requests it sees. */
export interface Target {
  url: string;
  port: number;
  connections: number;
  /** Every request, with when it arrived (epoch ms). */
  requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string; at: number }[];
  close(): Promise<void>;
}

/** Starts a loopback target answering with `handler`. */
export async function startTarget(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<Target> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    const at = Date.now();
    req.on('end', () => {
      target.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, at });
      handler(req, res, body);
    });
  });
  server.on('connection', (s) => {
    target.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const target: Target = {
    url: `http://127.0.0.1:${port}`,
    port,
    connections: 0,
    requests: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return target;
}

/** Answers every request with `status`. */
export const answer =
  (status: number, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, headers);
    res.end('ok');
  };

/** Never answers (the socket stays open until the target closes). */
export const hang = () => {};

/** A port on 127.0.0.1 where nothing listens: bound once, then closed. */
export async function refusingUrl(): Promise<string> {
  const t = await startTarget(hang);
  await t.close();
  return t.url;
}

/**
 * Counts every client TCP socket this process opens while `fn` runs (Node's `net.client.socket`
 * diagnostics channel fires in `net.connect`, before any packet is sent), so a test can show that
 * no connection to any address was even attempted.
 */
export async function countClientSockets(fn: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const onSocket = () => {
    count++;
  };
  dc.subscribe('net.client.socket', onSocket);
  try {
    await fn();
  } finally {
    dc.unsubscribe('net.client.socket', onSocket);
  }
  return count;
}
