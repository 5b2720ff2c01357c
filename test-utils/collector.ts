// A small loopback collector for SDK tests: real HTTP on 127.0.0.1, decodes gzip and both
// wire formats (upstream rows on /api/log-request, the compact columns on /api/log-columns,
// docs/wire-format.md), keeps every batch, and can be told to fail in the ways real
// collectors fail, or to speak only the upstream format as upstream's server does.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { WireRequest } from '@apilens/core';

export type { WireRequest };

export interface ReceivedBatch {
  headers: IncomingMessage['headers'];
  /** Which wire format the batch came in. */
  format: 'rows' | 'columns';
  api_key: string;
  framework: string;
  privacy_level: number;
  requests: WireRequest[];
  receivedAt: number;
}

/** A scripted answer: a status (with headers/body), a hang, or a reset connection. */
export type Fault =
  | { status: number; headers?: Record<string, string>; body?: string }
  | { hang: true }
  | { reset: true }
  | { delayMs: number };

export interface TestCollector {
  readonly url: string;
  readonly port: number;
  /** Every batch that was answered 2xx, in arrival order. */
  readonly batches: ReceivedBatch[];
  /** Every POST that arrived, whatever it was answered. */
  attempts: number;
  /** The `apilens-batch-id` header of every POST that arrived, in arrival order. */
  readonly batchIds: Array<string | undefined>;
  /** Batches currently being handled (to check there is never more than one in flight). */
  concurrent: number;
  maxConcurrent: number;
  /** All requests of all accepted batches, flattened. */
  requests(): WireRequest[];
  /** Answers the next POSTs with these faults, one each, then 200 again. */
  script(...faults: Fault[]): void;
  /** Answers every POST with this fault until cleared with `always(undefined)`. */
  always(fault: Fault | undefined): void;
  /** Resolves when at least `n` requests have been accepted. */
  waitForRequests(n: number, timeoutMs?: number): Promise<WireRequest[]>;
  /** Stops listening (connections refused) and destroys open sockets. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface CollectorOptions {
  /**
   * Behave like upstream's server: only POST /api/log-request (rows) exists; anything
   * else is a 404, and unknown headers are ignored.
   */
  upstreamOnly?: boolean;
}

/**
 * The rows a compact-format body stands for, decoded from the spec (docs/wire-format.md)
 * independently of the SDK's encoder. Throws on anything malformed.
 */
export function decodeColumns(body: Record<string, unknown>): WireRequest[] {
  if (body.v !== 1) throw new Error(`unsupported version ${String(body.v)}`);
  const count = body.count as number;
  const strings = body.strings as (string | null)[];
  const base = body.created_at_base as number;
  const given = body.columns as Record<string, number | number[]>;
  const names = ['hostname', 'ip_address', 'path', 'user_agent', 'method', 'user_id', 'route'];
  const numbers = ['status', 'response_time', 'created_at'];
  // A column is `count` integers, or one integer standing for every row.
  const c: Record<string, number[]> = {};
  for (const name of [...names, ...numbers]) {
    const col = given[name];
    if (typeof col === 'number') c[name] = new Array(count).fill(col);
    else if (Array.isArray(col) && col.length === count) c[name] = col;
    else throw new Error(`column ${name} is neither a number nor ${count} long`);
    if (!c[name]!.every(Number.isInteger)) throw new Error(`column ${name} holds a non-integer`);
  }
  const str = (name: string, i: number): string | null => {
    const id = c[name]![i]!;
    if (id < 0 || id >= strings.length) throw new Error(`${name}[${i}] out of range`);
    return strings[id]!;
  };
  const rows: WireRequest[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({
      hostname: str('hostname', i),
      ip_address: str('ip_address', i),
      path: str('path', i) as string,
      user_agent: str('user_agent', i),
      method: str('method', i) as string,
      status: c.status![i]!,
      response_time: c.response_time![i]!,
      user_id: str('user_id', i),
      created_at: new Date(base + c.created_at![i]!).toISOString(),
      route: str('route', i),
    });
  }
  return rows;
}

export async function startCollector(port = 0, options: CollectorOptions = {}): Promise<TestCollector> {
  const batches: ReceivedBatch[] = [];
  const scripted: Fault[] = [];
  let permanent: Fault | undefined;
  const sockets = new Set<Socket>();
  // Each waiter answers whether it is satisfied; unsatisfied ones stay for the next batch.
  let waiters: Array<() => boolean> = [];
  let server: Server;

  const collector: TestCollector = {
    url: '',
    port: 0,
    batches,
    attempts: 0,
    batchIds: [],
    concurrent: 0,
    maxConcurrent: 0,
    requests: () => batches.flatMap((b) => b.requests),
    script: (...faults) => {
      scripted.push(...faults);
    },
    always: (fault) => {
      permanent = fault;
    },
    waitForRequests: (n, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const all = collector.requests();
          if (all.length >= n) {
            clearTimeout(timer);
            resolve(all);
            return true;
          }
          return false;
        };
        const timer = setTimeout(
          () =>
            reject(
              new Error(`collector got ${collector.requests().length} of ${n} requests in ${timeoutMs} ms`),
            ),
          timeoutMs,
        );
        if (!check()) waiters.push(check);
      }),
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    start: async () => {
      server = makeServer();
      server.listen(collector.port, '127.0.0.1');
      await once(server, 'listening');
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    collector.attempts++;
    collector.batchIds.push(req.headers['apilens-batch-id'] as string | undefined);
    collector.concurrent++;
    collector.maxConcurrent = Math.max(collector.maxConcurrent, collector.concurrent);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const fault = scripted.shift() ?? permanent;
      if (fault && 'hang' in fault) return; // never answer
      if (fault && 'reset' in fault) {
        req.socket.destroy();
        return;
      }
      if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault && 'status' in fault) {
        res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
        res.end(fault.body ?? JSON.stringify({ error: `injected ${fault.status}` }));
        return;
      }
      const path = req.url ?? '';
      const columns = path === '/api/log-columns' && !options.upstreamOnly;
      if (!columns && path !== '/api/log-request') {
        // gin's answer to a route it does not have.
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('404 page not found');
        return;
      }
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const body = JSON.parse(raw.toString('utf8'));
      const requests: WireRequest[] = columns ? decodeColumns(body) : body.requests;
      batches.push({
        headers: req.headers,
        format: columns ? 'columns' : 'rows',
        api_key: body.api_key,
        framework: body.framework,
        privacy_level: body.privacy_level,
        requests,
        receivedAt: Date.now(),
      });
      if (options.upstreamOnly) {
        // As upstream's Go server (gin) answers: 201 and a message, no counts.
        res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ status: 201, message: 'API requests logged successfully.' }));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ accepted: requests.length, rejected: [] }));
      }
      waiters = waiters.filter((w) => !w());
    } catch (err) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(err) }));
    } finally {
      collector.concurrent--;
    }
  }

  function makeServer(): Server {
    const s = createServer((req, res) => void handle(req, res));
    s.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    return s;
  }

  server = makeServer();
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address() as AddressInfo;
  (collector as { port: number }).port = addr.port;
  (collector as { url: string }).url = `http://127.0.0.1:${addr.port}`;
  return collector;
}
