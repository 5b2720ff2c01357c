// Behind a reverse proxy every connection comes from the proxy: the per-address limit of
// POST /api/generate must count the client the proxy names in X-Forwarded-For when, and only
// when, the operator said which proxies to believe (`trustProxy`, `--trust-proxy`).
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, type ServerOptions } from '../src/index.js';
import { call, freshStore, runCli, STORES, startServer, type TestServer } from './harness.js';

const servers: Array<{ server: TestServer; cleanup(): Promise<void> }> = [];

async function start(options: ServerOptions): Promise<TestServer> {
  const { store, cleanup } = await freshStore(STORES[0]!);
  const server = await startServer(store, { generatePerHour: 2, ...options });
  servers.push({ server, cleanup });
  return server;
}

afterEach(async () => {
  for (const { server, cleanup } of servers.splice(0)) {
    await server.close();
    await cleanup();
  }
});

/** Statuses of POST /api/generate, one per client address named in X-Forwarded-For. */
async function generate(url: string, clients: string[]): Promise<number[]> {
  const statuses: number[] = [];
  for (const client of clients) {
    statuses.push((await call(url, 'POST', '/api/generate', { 'x-forwarded-for': client })).status);
  }
  return statuses;
}

const A = '203.0.113.7';
const B = '198.51.100.9';

describe('trustProxy', () => {
  it('off (the default): X-Forwarded-For is ignored, every client shares the connection’s address', async () => {
    const { url } = await start({});
    // Two keys an hour per address: the third request is refused whatever the header says.
    expect(await generate(url, [A, A, B])).toEqual([200, 200, 429]);
  });

  it('loopback: a proxy on this host is believed, each client has its own limit', async () => {
    const { url } = await start({ trustProxy: 'loopback' });
    expect(await generate(url, [A, A, A, B, B])).toEqual([200, 200, 429, 200, 200]);
  });

  it('a list of addresses and ranges: a connection from elsewhere is not believed', async () => {
    // The tests connect from 127.0.0.1, which is not among the trusted proxies.
    const { url } = await start({ trustProxy: ['10.0.0.0/8', '192.0.2.1'] });
    expect(await generate(url, [A, A, B])).toEqual([200, 200, 429]);
  });

  it('as a comma-separated string, as the flag gives it', async () => {
    const { url } = await start({ trustProxy: '10.0.0.1, 127.0.0.1' });
    expect(await generate(url, [A, A, B])).toEqual([200, 200, 200]);
  });

  it.each([
    [
      { trustProxy: 'proxy.internal' },
      /option "trustProxy" lists "proxy\.internal", which is not an IP address/,
    ],
    [{ trustProxy: ['127.0.0.1', '10.0.0.0/33'] }, /lists "10\.0\.0\.0\/33"/],
    [{ trustProxy: 1 }, /option "trustProxy" must be true, false, or the proxies' addresses/],
  ])('rejects %j with a TypeError naming the option', (options, message) => {
    expect(() => buildServer(options as ServerOptions)).toThrow(TypeError);
    expect(() => buildServer(options as ServerOptions)).toThrow(message);
  });

  it('apilens serve --trust-proxy: a wrong value is a usage error naming the flag', async () => {
    const cli = runCli(['serve', '--port', '0', '--trust-proxy', 'loopback,nginx']);
    expect((await cli.exit).code).toBe(2);
    expect(cli.output()).toMatch(/apilens: --trust-proxy lists "nginx", which is not an IP address/);
  });
});
