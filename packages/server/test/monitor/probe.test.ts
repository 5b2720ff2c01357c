import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTargetUrl, type GuardOptions, type Resolver } from '../../src/monitor/guard.js';
import { type ProbeTarget, probe } from '../../src/monitor/probe.js';
import { answer, countClientSockets, hang, refusingUrl, startTarget, type Target } from './targets.js';
import { makeCertificates, startTlsTarget } from './tls.js';

const open: GuardOptions = { allowPrivate: true };
const strict: GuardOptions = { allowPrivate: false };

const get = (url: string, expectStatus: number | null = null): ProbeTarget => ({
  url,
  method: 'GET',
  expectStatus,
});

describe('probe against loopback targets (private targets allowed)', () => {
  const targets: Target[] = [];
  const target = async (...args: Parameters<typeof startTarget>) => {
    const t = await startTarget(...args);
    targets.push(t);
    return t;
  };
  afterAll(async () => {
    await Promise.all(targets.map((t) => t.close()));
  });

  it('a 200 is up, with its status and response time', async () => {
    const t = await target(answer(200));
    const before = Date.now();
    const a = await probe(get(`${t.url}/health`), { guard: open, timeoutMs: 5000 });
    expect(a).toMatchObject({ status: 200, failure: null, detail: null });
    expect(a.at).toBeGreaterThanOrEqual(before);
    expect(a.responseMs).toBeGreaterThanOrEqual(0);
    expect(a.responseMs).toBeLessThan(5000);
    expect(t.requests).toMatchObject([{ method: 'GET', url: '/health' }]);
    expect(t.requests[0]!.headers['user-agent']).toMatch(/^apilens-monitor\//);
  });

  it('HEAD is sent as HEAD', async () => {
    const t = await target(answer(204));
    const a = await probe(
      { url: t.url, method: 'HEAD', expectStatus: null },
      { guard: open, timeoutMs: 5000 },
    );
    expect(a.failure).toBeNull();
    expect(t.requests[0]!.method).toBe('HEAD');
  });

  it('a 500 is a failure: unexpected status', async () => {
    const t = await target(answer(500));
    const a = await probe(get(t.url), { guard: open, timeoutMs: 5000 });
    expect(a).toMatchObject({ status: 500, failure: 'unexpected_status' });
    expect(a.detail).toMatch(/500.*2xx or 3xx/);
  });

  it('expectStatus: only that status is up', async () => {
    const t = await target(answer(201));
    expect((await probe(get(t.url, 201), { guard: open, timeoutMs: 5000 })).failure).toBeNull();
    const a = await probe(get(t.url, 200), { guard: open, timeoutMs: 5000 });
    expect(a).toMatchObject({
      status: 201,
      failure: 'unexpected_status',
      detail: 'answered 201, expected 200',
    });
  });

  it('a target that hangs past the timeout is a failure: timeout, after about the timeout', async () => {
    const t = await target(hang);
    const started = Date.now();
    const a = await probe(get(t.url), { guard: open, timeoutMs: 400 });
    const took = Date.now() - started;
    expect(a).toMatchObject({ status: null, failure: 'timeout' });
    expect(a.responseMs).toBeGreaterThanOrEqual(390);
    expect(took).toBeGreaterThanOrEqual(390);
    expect(took).toBeLessThan(4000);
    // No stray reconnection once the attempt is over.
    await new Promise((r) => setTimeout(r, 100));
    expect(t.connections).toBe(1);
  });

  it('a port nobody listens on is a failure: connection refused', async () => {
    const a = await probe(get(await refusingUrl()), { guard: open, timeoutMs: 5000 });
    expect(a).toMatchObject({ status: null, failure: 'connection_refused' });
    expect(a.detail).toMatch(/ECONNREFUSED/);
  });

  it('a name that does not resolve is a failure: DNS', async () => {
    const a = await probe(get('http://no-such-host.invalid/'), { guard: open, timeoutMs: 5000 });
    expect(a).toMatchObject({ status: null, failure: 'dns' });
  });

  it('a redirect is not followed: the 3xx is the answer, and its target sees no connection', async () => {
    const elsewhere = await target(answer(200));
    const t = await target(answer(302, { location: `${elsewhere.url}/internal` }));
    const a = await probe(get(t.url), { guard: open, timeoutMs: 5000 });
    expect(a).toMatchObject({ status: 302, failure: null });
    const strictly = await probe(get(t.url, 200), { guard: open, timeoutMs: 5000 });
    expect(strictly).toMatchObject({ status: 302, failure: 'unexpected_status' });
    expect(t.connections).toBe(2);
    expect(elsewhere.connections).toBe(0);
  });

  it('each probe opens a fresh connection (no warm keep-alive socket)', async () => {
    const t = await target(answer(200, { connection: 'keep-alive' }));
    for (let i = 0; i < 3; i++) await probe(get(t.url), { guard: open, timeoutMs: 5000 });
    expect(t.connections).toBe(3);
  });
});

describe('SSRF guard: refusals happen before any connection', () => {
  let listener: Target;
  beforeAll(async () => {
    listener = await startTarget(answer(200));
  });
  afterAll(async () => {
    await listener.close();
  });

  const urls = () => [
    `http://127.0.0.1:${listener.port}/`,
    `http://localhost:${listener.port}/`,
    `http://[::1]:${listener.port}/`,
    `http://[::ffff:127.0.0.1]:${listener.port}/`,
    `http://0x7f.1:${listener.port}/`,
    `http://2130706433:${listener.port}/`,
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://0.0.0.0/',
  ];

  it('refuses loopback, private, metadata and mapped addresses, and names resolving to them, with no socket opened', async () => {
    for (const url of urls()) {
      let attempt: Awaited<ReturnType<typeof probe>> | undefined;
      const sockets = await countClientSockets(async () => {
        attempt = await probe(get(url), { guard: strict, timeoutMs: 5000 });
      });
      expect({ url, failure: attempt?.failure, sockets }).toEqual({ url, failure: 'blocked', sockets: 0 });
      expect(attempt?.detail).toMatch(/is refused: .*(--monitor-allow-private\)|never allowed)$/);
    }
    expect(listener.connections).toBe(0);
    expect(listener.requests).toEqual([]);
  });

  it('the same loopback target is reached when private targets are allowed (the listener does count)', async () => {
    const sockets = await countClientSockets(() =>
      probe(get(`http://127.0.0.1:${listener.port}/`), { guard: open, timeoutMs: 5000 }),
    );
    expect(sockets).toBe(1);
    expect(listener.connections).toBe(1);
  });

  it('metadata addresses stay refused when private targets are allowed', async () => {
    for (const url of [
      'http://169.254.169.254/',
      'http://[::ffff:169.254.169.254]/',
      'http://100.100.100.200/',
    ]) {
      const sockets = await countClientSockets(async () => {
        expect((await probe(get(url), { guard: open, timeoutMs: 5000 })).failure).toBe('blocked');
      });
      expect(sockets).toBe(0);
    }
  });

  it('connects to the address it checked: one resolution per attempt, its answer used as is', async () => {
    const calls: string[] = [];
    const resolve: Resolver = async (host) => {
      calls.push(host);
      return ['127.0.0.1'];
    };
    // `.test` names never resolve in real DNS: reaching the listener shows the vetted address was used.
    const guard: GuardOptions = { allowPrivate: true, resolve };
    const before = listener.connections;
    const a = await probe(get(`http://monitor.test:${listener.port}/x`), { guard, timeoutMs: 5000 });
    expect(a.failure).toBeNull();
    expect(calls).toEqual(['monitor.test']);
    expect(listener.connections).toBe(before + 1);
    expect(listener.requests.at(-1)!.headers.host).toBe(`monitor.test:${listener.port}`);
  });

  it('a name with a public and a private address is refused as a whole', async () => {
    const guard: GuardOptions = { allowPrivate: false, resolve: async () => ['93.184.215.14', '127.0.0.1'] };
    const sockets = await countClientSockets(async () => {
      const a = await probe(get(`http://mixed.test:${listener.port}/`), { guard, timeoutMs: 5000 });
      expect(a.failure).toBe('blocked');
      expect(a.detail).toMatch(/mixed\.test \(127\.0\.0\.1\) is refused: loopback/);
    });
    expect(sockets).toBe(0);
  });

  it('a DNS answer that changes after a refusal cannot slip through: every attempt is checked anew', async () => {
    let answerWith = '127.0.0.1';
    const guard: GuardOptions = { allowPrivate: false, resolve: async () => [answerWith] };
    const first = await probe(get(`http://rebind.test:${listener.port}/`), { guard, timeoutMs: 5000 });
    answerWith = '10.1.2.3';
    const second = await probe(get(`http://rebind.test:${listener.port}/`), { guard, timeoutMs: 5000 });
    expect([first.failure, second.failure]).toEqual(['blocked', 'blocked']);
    expect(second.detail).toMatch(/10\.1\.2\.3/);
  });
});

describe('TLS', () => {
  let certs: ReturnType<typeof makeCertificates>;
  let server: Awaited<ReturnType<typeof startTlsTarget>>;
  beforeAll(async () => {
    certs = makeCertificates('monitor.test');
    server = await startTlsTarget(certs.key, certs.cert);
  });
  afterAll(async () => {
    await server.close();
  });
  const toLoopback: Resolver = async () => ['127.0.0.1'];

  it('a certificate from a trusted CA for the name is up; the name is checked although the socket goes to an IP', async () => {
    const guard: GuardOptions = { allowPrivate: true, resolve: toLoopback, ca: certs.ca };
    const a = await probe(get(`https://monitor.test:${server.port}/`), { guard, timeoutMs: 5000 });
    const wrongName = await probe(get(`https://other.test:${server.port}/`), { guard, timeoutMs: 5000 });
    expect(a).toMatchObject({ status: 200, failure: null });
    expect(wrongName).toMatchObject({ status: null, failure: 'tls' });
  });

  it('an untrusted certificate is a failure: TLS', async () => {
    const guard: GuardOptions = { allowPrivate: true, resolve: toLoopback };
    const a = await probe(get(`https://monitor.test:${server.port}/`), { guard, timeoutMs: 5000 });
    expect(a).toMatchObject({ status: null, failure: 'tls' });
  });
});

describe('checkTargetUrl', () => {
  it('accepts http and https URLs and drops the fragment', () => {
    expect(checkTargetUrl('https://api.example.com/health?x=1#top', 'url', false)).toBe(
      'https://api.example.com/health?x=1',
    );
    expect(checkTargetUrl('http://example.com', 'url', false)).toBe('http://example.com/');
  });

  it.each([
    ['42', 42, /must be an http:\/\/ or https:\/\/ URL/],
    ['', '', /must be an http:\/\/ or https:\/\/ URL/],
    ['example.com/health', 'example.com/health', /not an absolute URL/],
    ['ftp://example.com/', 'ftp://example.com/', /must use http or https, not ftp/],
    ['file:///etc/passwd', 'file:///etc/passwd', /must use http or https, not file/],
    ['https://user:secret@example.com/', 'https://user:secret@example.com/', /user name or password/],
    ['a 2100-character string', 'x'.repeat(2100), /longer than 2048/],
    ['http://127.0.0.1/', 'http://127.0.0.1/', /loopback.*--monitor-allow-private/],
    ['http://169.254.169.254/latest/', 'http://169.254.169.254/latest/', /cloud metadata.*never allowed/],
    ['http://127.1/', 'http://127.1/', /loopback/],
    ['http://0x7f000001/', 'http://0x7f000001/', /loopback/],
    ['http://10.0.0.1/', 'http://10.0.0.1/', /private network/],
    ['http://169.254.169.254/', 'http://169.254.169.254/', /cloud metadata/],
    ['http://[::1]/', 'http://[::1]/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', 'http://[::ffff:127.0.0.1]/', /IPv4-mapped IPv6 of 127\.0\.0\.1/],
  ])('refuses %s', (_label, value, message) => {
    expect(() => checkTargetUrl(value, 'url', false)).toThrow(message);
  });

  it('admits private literals when allowed, never metadata', () => {
    expect(checkTargetUrl('http://127.0.0.1:8080/', 'url', true)).toBe('http://127.0.0.1:8080/');
    expect(() => checkTargetUrl('http://169.254.169.254/', 'url', true)).toThrow(/cloud metadata/);
  });
});
