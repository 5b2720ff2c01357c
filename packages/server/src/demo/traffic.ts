// Synthetic, realistic API traffic for the demo dashboard and `npm run demo`: a daily and weekly
// rhythm, a few heavy users, endpoints with their own latency and error habits, bots and API
// clients, two API versions, two hostnames, and a short incident every few days. Deterministic
// for a given seed and time range, so the same minute always has the same requests.

/** One synthetic request, in the wire format's field names plus the country of its IP. */
export interface SyntheticRequest {
  hostname: string;
  ip_address: string;
  path: string;
  route: string;
  user_agent: string;
  method: string;
  status: number;
  response_time: number;
  user_id: string | null;
  /** Epoch milliseconds. */
  created_at: number;
  /** ISO country of `ip_address` (what the bundled GeoIP database answers for it). */
  country: string;
}

/** Options of {@link syntheticTraffic}. */
export interface SyntheticTrafficOptions {
  /** Start, epoch ms (inclusive). */
  from: number;
  /** End, epoch ms (exclusive). */
  to: number;
  /** Average requests per hour over a week. @default 600 */
  perHour?: number;
  /** Seed of the user population. @default 1 */
  seed?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

/** A small, fast PRNG (mulberry32): the same numbers for a seed on every run (the tests use it too). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, items: ReadonlyArray<readonly [T, number]>): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let x = r() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return items[items.length - 1]![0];
}

// /24 blocks that the bundled GeoIP database (geo-whois-asn-country) places in each country,
// weighted by how much of the traffic comes from there; UTC offset drives the daily rhythm.
const COUNTRIES: ReadonlyArray<readonly [{ code: string; blocks: string[]; utc: number }, number]> = [
  [{ code: 'US', blocks: ['167.4.40', '9.214.104'], utc: -6 }, 30],
  [{ code: 'DE', blocks: ['18.198.132', '139.6.16'], utc: 1 }, 12],
  [{ code: 'GB', blocks: ['91.151.248', '212.100.240'], utc: 0 }, 10],
  [{ code: 'FR', blocks: ['80.245.56', '86.248.152'], utc: 1 }, 7],
  [{ code: 'IN', blocks: ['27.57.88', '106.78.32'], utc: 5.5 }, 7],
  [{ code: 'BR', blocks: ['201.10.136', '179.215.88'], utc: -3 }, 5],
  [{ code: 'CA', blocks: ['150.105.252', '24.37.232'], utc: -5 }, 4],
  [{ code: 'JP', blocks: ['150.26.248', '157.192.4'], utc: 9 }, 4],
  [{ code: 'NL', blocks: ['145.206.67', '188.190.112'], utc: 1 }, 3],
  [{ code: 'AU', blocks: ['203.61.148', '143.188.104'], utc: 10 }, 3],
  [{ code: 'ES', blocks: ['83.49.40', '80.27.212'], utc: 1 }, 2],
  [{ code: 'SE', blocks: ['85.188.152', '56.228.250'], utc: 1 }, 2],
  [{ code: 'PL', blocks: ['91.207.64', '93.154.200'], utc: 1 }, 2],
  [{ code: 'IT', blocks: ['94.93.23', '87.15.84'], utc: 1 }, 2],
  [{ code: 'SG', blocks: ['43.91.36', '146.190.100'], utc: 8 }, 1.5],
  [{ code: 'KR', blocks: ['211.220.22', '42.34.8'], utc: 9 }, 1],
  [{ code: 'MX', blocks: ['187.164.228', '78.15.152'], utc: -6 }, 1],
  [{ code: 'ZA', blocks: ['197.101.200', '41.195.80'], utc: 2 }, 0.8],
  [{ code: 'NG', blocks: ['41.221.164', '102.67.168'], utc: 1 }, 0.6],
  [{ code: 'AR', blocks: ['186.142.112', '181.30.244'], utc: -3 }, 0.6],
  [{ code: 'IE', blocks: ['86.40.232', '3.250.204'], utc: 0 }, 0.5],
];

type Client = 'browser' | 'server' | 'bot';
const AGENTS: Record<Client, ReadonlyArray<readonly [string, number]>> = {
  browser: [
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      30,
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      14,
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      12,
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      14,
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      11,
    ],
    ['Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', 5],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 4],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      6,
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      3,
    ],
  ],
  server: [
    ['python-requests/2.32.3', 5],
    ['node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 3],
    ['axios/1.7.9', 4],
    ['Go-http-client/2.0', 3],
    ['curl/8.5.0', 2],
  ],
  bot: [
    ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 3],
    ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 1],
    ['UptimeRobot/2.0 (+http://www.uptimerobot.com/)', 1],
  ],
};

interface Endpoint {
  method: string;
  route: string;
  weight: number;
  /** Median response time, ms. */
  ms: number;
  /** Shares of non-2xx answers: [status, probability]. */
  errors: ReadonlyArray<readonly [number, number]>;
  ok?: number;
  clients?: Client[];
}

const ENDPOINTS: readonly Endpoint[] = [
  { method: 'GET', route: '/v1/products', weight: 22, ms: 38, errors: [[304, 0.08]] },
  {
    method: 'GET',
    route: '/v1/products/:id',
    weight: 18,
    ms: 24,
    errors: [
      [404, 0.04],
      [304, 0.05],
    ],
  },
  {
    method: 'GET',
    route: '/v1/users/:id',
    weight: 11,
    ms: 19,
    errors: [
      [404, 0.03],
      [401, 0.02],
    ],
  },
  { method: 'GET', route: '/v1/orders', weight: 9, ms: 64, errors: [[401, 0.02]] },
  {
    method: 'POST',
    route: '/v1/orders',
    weight: 5,
    ms: 182,
    ok: 201,
    errors: [
      [422, 0.05],
      [500, 0.006],
    ],
  },
  { method: 'GET', route: '/v1/orders/:orderId', weight: 6, ms: 41, errors: [[404, 0.05]] },
  { method: 'PATCH', route: '/v1/orders/:orderId', weight: 1.5, ms: 96, errors: [[409, 0.04]] },
  { method: 'DELETE', route: '/v1/orders/:orderId', weight: 0.6, ms: 74, ok: 204, errors: [[404, 0.05]] },
  {
    method: 'POST',
    route: '/v1/auth/login',
    weight: 4,
    ms: 240,
    errors: [
      [401, 0.11],
      [429, 0.01],
    ],
  },
  { method: 'POST', route: '/v1/auth/refresh', weight: 3, ms: 31, errors: [[401, 0.04]] },
  {
    method: 'GET',
    route: '/v1/search',
    weight: 7,
    ms: 148,
    errors: [
      [400, 0.02],
      [503, 0.003],
    ],
  },
  { method: 'GET', route: '/v2/catalog/items', weight: 6, ms: 52, errors: [[304, 0.06]] },
  { method: 'GET', route: '/v2/catalog/items/:sku', weight: 4, ms: 29, errors: [[404, 0.06]] },
  {
    method: 'POST',
    route: '/v1/webhooks/stripe',
    weight: 1.2,
    ms: 58,
    errors: [[400, 0.01]],
    clients: ['server'],
  },
  { method: 'GET', route: '/health', weight: 2.5, ms: 2, errors: [], clients: ['server', 'bot'] },
  { method: 'GET', route: '/wp-login.php', weight: 0.4, ms: 3, errors: [[404, 1]], clients: ['bot'] },
];

const HOSTNAMES: ReadonlyArray<readonly [string, number]> = [
  ['api.example.com', 78],
  ['eu.api.example.com', 18],
  ['staging.example.com', 4],
];

interface User {
  id: string | null;
  ip: string;
  country: string;
  utc: number;
  agent: string;
  client: Client;
  hostname: string;
  weight: number;
}

function population(seed: number): User[] {
  const r = prng(seed);
  const users: User[] = [];
  for (let i = 0; i < 900; i++) {
    const place = pick(r, COUNTRIES);
    const client: Client = pick(r, [
      ['browser', 80],
      ['server', 16],
      ['bot', 4],
    ]);
    const block = place.blocks[Math.floor(r() * place.blocks.length)]!;
    users.push({
      // Browsers are mostly signed in; API clients and bots are known by their IP only.
      id: client === 'browser' && r() < 0.7 ? `usr_${((i + 1) * 0x9e3779b1).toString(16).slice(-6)}` : null,
      ip: `${block}.${1 + Math.floor(r() * 253)}`,
      country: place.code,
      utc: place.utc,
      agent: pick(r, AGENTS[client]),
      client,
      hostname: place.utc >= -1 && place.utc <= 3 && r() < 0.7 ? 'eu.api.example.com' : pick(r, HOSTNAMES),
      // A few heavy users, a long tail (Zipf-like).
      weight: 1 / (i + 3) ** 0.9,
    });
  }
  return users;
}

/** Activity by local hour: quiet at night, busy through the working day. */
function daily(localHour: number): number {
  const h = ((localHour % 24) + 24) % 24;
  return 0.12 + Math.exp(-((h - 14) ** 2) / 18) + 0.35 * Math.exp(-((h - 20) ** 2) / 6);
}

/** An incident: every fifth day, 14:00–14:45 UTC, orders fail and everything slows down. */
function incident(t: number): boolean {
  const day = Math.floor(t / DAY);
  const minute = (t % DAY) / MINUTE;
  return day % 5 === 2 && minute >= 840 && minute < 885;
}

function fillRoute(route: string, r: () => number): string {
  return route
    .replace(':id', String(1 + Math.floor(r() ** 2 * 5000)))
    .replace(':orderId', `ord_${Math.floor(r() * 1e6).toString(36)}`)
    .replace(':sku', `SKU-${100 + Math.floor(r() * 900)}`);
}

/**
 * Yields synthetic requests from `from` to `to`, oldest first.
 * @example
 * for (const req of syntheticTraffic({ from: Date.now() - 3_600_000, to: Date.now() })) send(req);
 */
export function* syntheticTraffic(options: SyntheticTrafficOptions): Generator<SyntheticRequest> {
  const perHour = options.perHour ?? 600;
  const users = population(options.seed ?? 1);
  const byUser = users.map((u) => [u, u.weight] as const);
  const start = Math.floor(options.from / MINUTE) * MINUTE;
  for (let minute = start; minute < options.to; minute += MINUTE) {
    // Each minute has its own stream, so a range can be generated in pieces (top-ups) identically.
    const r = prng((minute / MINUTE) ^ ((options.seed ?? 1) * 2654435761));
    const date = new Date(minute);
    const weekday = date.getUTCDay();
    const weekend = weekday === 0 || weekday === 6 ? 0.55 : 1;
    // The world's traffic mix: each country's share follows its own clock.
    let rhythm = 0;
    for (const [place, w] of COUNTRIES)
      rhythm += w * daily(date.getUTCHours() + date.getUTCMinutes() / 60 + place.utc);
    const expected = (perHour / 60) * weekend * (rhythm / 100) * 2.3 * (0.85 + r() * 0.3);
    let n = Math.floor(expected);
    if (r() < expected - n) n++;
    const events: SyntheticRequest[] = [];
    for (let i = 0; i < n; i++) {
      const user = pick(r, byUser);
      const choices = ENDPOINTS.filter((e) => (e.clients ?? ['browser', 'server']).includes(user.client)).map(
        (e) => [e, e.weight] as const,
      );
      const e = user.client === 'bot' && r() < 0.5 ? ENDPOINTS[0]! : pick(r, choices);
      const t = minute + Math.floor(r() * MINUTE);
      const down = incident(t);
      let status = e.ok ?? 200;
      let x = r();
      for (const [code, p] of e.errors) {
        if (x < p) {
          status = code;
          break;
        }
        x -= p;
      }
      if (down && e.route.startsWith('/v1/orders') && r() < 0.45) status = r() < 0.8 ? 500 : 503;
      // Log-normal response times around the endpoint's median; errors answer fast, the incident slowly.
      const noise = Math.exp((r() + r() + r() - 1.5) * 0.9);
      let ms = e.ms * noise * (status >= 400 && status < 500 ? 0.4 : 1) * (down ? 4.5 : 1);
      if (r() < 0.004) ms *= 12;
      events.push({
        hostname: user.hostname,
        ip_address: user.ip,
        path: fillRoute(e.route, r),
        route: e.route,
        user_agent: user.agent,
        method: e.method,
        status,
        response_time: Math.max(1, Math.round(ms)),
        user_id: user.id,
        created_at: t,
        country: user.country,
      });
    }
    events.sort((a, b) => a.created_at - b.created_at);
    for (const event of events)
      if (event.created_at >= options.from && event.created_at < options.to) yield event;
  }
}
