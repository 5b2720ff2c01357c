// DEV ONLY — `APILENS_FAKE=1 pnpm dev:dashboard`: answers /api/dashboard/<id> with made-up,
// contract-shaped figures so the page can be worked on without a collector. Loaded only by the
// Vite dev server (see vite.config.ts); never part of dist/, never used by a test.
// Ids: `missing` → 404, `empty` → a key without data, `broken` → 503; anything else → figures.
import type { Plugin } from 'vite';
import type {
  BucketName,
  DashboardResponse,
  DashboardTotals,
  NamedCount,
  StatusClass,
} from '../src/lib/api-types.js';

function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PERIOD_MS: Record<string, number> = {
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '6m': 182 * 86_400_000,
  '1y': 365 * 86_400_000,
  all: 400 * 86_400_000,
};
const BUCKET_MS: Record<BucketName, number> = {
  '5m': 300_000,
  '1h': 3_600_000,
  '6h': 21_600_000,
  '1d': 86_400_000,
};

function totals(requests: number, r: () => number): DashboardTotals {
  const p50 = 40 + Math.round(r() * 30);
  return {
    requests,
    users: Math.round(requests / 9),
    successRate: 0.93 + r() * 0.05,
    errorRate: 0.02 + r() * 0.04,
    p50,
    p75: p50 * 2,
    p95: p50 * 5,
    p99: p50 * 11,
  };
}

function named(names: Array<string | null>, total: number, r: () => number): NamedCount[] {
  let left = total;
  return names
    .map((name, i) => {
      const n = i === names.length - 1 ? left : Math.round(left * (0.35 + r() * 0.3));
      left -= n;
      return { name, requests: Math.max(n, 0) };
    })
    .filter((x) => x.requests > 0)
    .sort((a, b) => b.requests - a.requests);
}

function fake(id: string, q: URLSearchParams): DashboardResponse {
  const r = rng(id.length * 7919 + (q.toString().length % 97));
  const period = (q.get('period') ?? '7d') as DashboardResponse['meta']['period'];
  const now = Date.now();
  const span = PERIOD_MS[period] ?? 7 * 86_400_000;
  const bucket: BucketName =
    period === '24h' ? '5m' : period === '7d' ? '1h' : period === '30d' ? '6h' : '1d';
  const step = BUCKET_MS[bucket];
  const to = Math.ceil(now / step) * step;
  const from = to - span;
  const filtered = ['endpoint', 'status', 'country', 'browser', 'os', 'device', 'user', 'statusClass'].filter(
    (k) => q.has(k),
  ).length;
  const scale = 0.25 ** filtered;
  const timeline = [];
  let total = 0;
  for (let t = from; t < to; t += step) {
    const hour = new Date(t).getUTCHours();
    const daily = 0.35 + 0.65 * Math.sin(((hour - 6) / 24) * Math.PI) ** 2;
    const requests = Math.round((step / 60_000) * 14 * daily * (0.8 + r() * 0.4) * scale);
    total += requests;
    const p50 = 35 + Math.round(r() * 20);
    timeline.push({
      t,
      requests,
      users: requests ? Math.round(requests / 8) : 0,
      successRate: requests ? 0.9 + r() * 0.09 : null,
      p50: requests ? p50 : null,
      p95: requests ? p50 * 4 + Math.round(r() * 60) : null,
    });
  }
  const routes = [
    ['GET', '/api/users/:id'],
    ['GET', '/api/orders'],
    ['POST', '/api/orders'],
    ['GET', '/api/orders/:orderId'],
    ['GET', '/health'],
    ['GET', '/api/products'],
    ['PUT', '/api/users/:id'],
    ['DELETE', '/api/orders/:orderId'],
    ['POST', '/api/auth/login'],
    ['GET', '/api/search'],
    ['GET', '/v2/catalog/items'],
    ['GET', '/nope'],
    ['GET', '/<script>alert(1)</script>'],
  ] as const;
  let left = total;
  const endpoints = routes.map(([method, endpoint], i) => {
    const requests = i === routes.length - 1 ? Math.max(left, 0) : Math.round(left * (0.22 + r() * 0.1));
    left -= requests;
    const e4 = endpoint === '/nope' ? requests : Math.round(requests * r() * 0.06);
    const e5 = endpoint === '/nope' ? 0 : Math.round(requests * r() * 0.02);
    const classes: Record<StatusClass, number> = {
      '1xx': 0,
      '2xx': requests - e4 - e5,
      '3xx': 0,
      '4xx': e4,
      '5xx': e5,
    };
    return {
      method,
      endpoint,
      requests,
      errorRate: requests ? (e4 + e5) / requests : 0,
      p50: 20 + Math.round(r() * 80),
      p95: 150 + Math.round(r() * 500),
      classes,
      statuses: [
        { status: 200, requests: classes['2xx'] },
        { status: 404, requests: e4 },
        { status: 500, requests: e5 },
      ].filter((s) => s.requests > 0),
    };
  });
  const statusTotals = new Map<number, number>();
  for (const e of endpoints)
    for (const s of e.statuses) statusTotals.set(s.status, (statusTotals.get(s.status) ?? 0) + s.requests);
  const countries = named(
    ['US', 'DE', 'GB', 'FR', 'IN', 'BR', 'JP', 'CA', 'NL', 'AU', 'ES', 'SE', null],
    total,
    r,
  ).map((c) => ({
    country: c.name,
    requests: c.requests,
    users: Math.round(c.requests / 9),
  }));
  const heatmap = Array.from({ length: 7 }, (_, d) =>
    Array.from({ length: 24 }, (_, h) =>
      Math.round(
        (total / 168) *
          (d < 5 ? 1.2 : 0.5) *
          (0.3 + Math.sin(((h - 6) / 24) * Math.PI) ** 2) *
          (0.8 + r() * 0.4),
      ),
    ),
  );
  const histEdges = [0, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
  const histogram = histEdges.map((fromMs, i) => ({
    fromMs,
    toMs: histEdges[i + 1] ?? null,
    requests: Math.round(total * [0.05, 0.14, 0.28, 0.25, 0.15, 0.07, 0.035, 0.015, 0.007, 0.003][i]!),
  }));
  const users = Array.from({ length: 240 }, (_, i) => ({
    userId: i % 3 === 0 ? null : `user_${1000 + i}`,
    ip: `203.0.113.${i % 250}`,
    country: ['US', 'DE', 'GB', 'FR', null][i % 5] ?? null,
    lastSeen: now - Math.round(r() * span),
    requests: Math.round(2000 / (i + 1)) + 1,
  }));
  const filters: DashboardResponse['meta']['filters'] = {};
  for (const k of [
    'hostname',
    'method',
    'endpoint',
    'statusClass',
    'country',
    'browser',
    'os',
    'device',
    'user',
    'version',
  ] as const)
    if (q.has(k)) (filters as Record<string, string>)[k] = q.get(k)!;
  if (q.has('status')) filters.status = Number(q.get('status'));
  return {
    meta: {
      dashboardId: id,
      period,
      from,
      to,
      previousFrom: period === 'all' ? null : from - span,
      tz: q.get('tz') ?? 'UTC',
      bucket,
      filters,
      firstSeen: now - 400 * 86_400_000,
      lastSeen: now - 5_000,
      generatedAt: now,
      store: 'fake (dev)',
      approximate: { percentiles: false, users: false },
    },
    totals: totals(total, r),
    previous: period === 'all' ? null : totals(Math.round(total * (0.8 + r() * 0.3)), r),
    timeline,
    histogram,
    endpoints: endpoints.filter((e) => e.requests > 0).sort((a, b) => b.requests - a.requests),
    statuses: [...statusTotals]
      .map(([status, requests]) => ({ status, requests }))
      .sort((a, b) => b.requests - a.requests),
    countries,
    browsers: named(['Chrome', 'Safari', 'Firefox', 'Edge', 'curl', null], total, r),
    os: named(['Windows', 'macOS', 'iOS', 'Android', 'Linux', null], total, r),
    devices: named(['desktop', 'mobile', 'tablet', 'bot'], total, r),
    hostnames: named(['api.example.com', 'eu.api.example.com', 'staging.example.com'], total, r),
    versions: named(['v1', 'v2'], total, r),
    heatmap,
    users,
  };
}

/** The dev server's fake dashboard API. */
export function fakeApi(): Plugin {
  return {
    name: 'apilens-fake-api',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = new URL(req.url ?? '/', 'http://dev');
        const send = (status: number, body: unknown) => {
          res.statusCode = status;
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(body));
        };
        if (url.pathname === '/api/health') return send(200, { status: 'ok', store: 'fake', version: 'dev' });
        const m = /^\/api\/dashboard\/([^/]+)$/.exec(url.pathname);
        if (!m) return next();
        const id = decodeURIComponent(m[1]!);
        setTimeout(() => {
          if (id === 'missing') return send(404, { error: `no dashboard with id ${id}` });
          if (id === 'broken')
            return send(503, { error: 'the collector could not reach its database; retry later' });
          const body = fake(id, url.searchParams);
          if (id === 'empty') {
            body.meta.firstSeen = null;
            body.meta.lastSeen = null;
          }
          send(200, body);
        }, 120);
      });
    },
  };
}
