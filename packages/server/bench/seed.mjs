// Seeds a store for the dashboard benchmark: one key with BENCH_MAIN_ROWS requests (default
// 5 000 000) over BENCH_DAYS days (180) ending now, beside other keys' rows (BENCH_OTHER_ROWS,
// 5 000 000, over 9 keys), interleaved in time as a live collector would store them.
//
// Realistic shapes, from a seeded PRNG so that every store gets the same rows: traffic that follows
// the hour of day and the weekday and grows over the period; ~60 routes with Zipf popularity under
// /v1 and /v2 plus unrouted probes (404s); per-route status mixes and log-normal latencies with a
// slow tail; 30 user agents (browsers, HTTP libraries, bots); 20 000 users with one or two IPs
// each and anonymous visitors by IP; countries per IP.
//
// Fastest bulk path per store: DuckDB through the store's own insert (groups of 200 000 rows per
// transaction, so that its derived columns come from the same code as at ingest), PostgreSQL
// through COPY FROM STDIN with its request indexes dropped during the load and rebuilt after, and
// its dashboard rollups built after the load by the migration that builds them for existing rows
// (schema version 4, run again).
//
//   node bench/seed.mjs duckdb <file.duckdb>
//   node bench/seed.mjs postgres <postgres://…>
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** mulberry32: small, fast, seeded. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from `items` with the given weights (cumulative table, binary search). */
function weighted(items, weights) {
  const cum = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    cum.push(sum);
  }
  return (r) => {
    const x = r * sum;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return items[lo];
  };
}

const zipf = (n, s = 1.1) => Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);

export const USER_AGENTS = [
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    22,
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    9,
  ],
  [
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    7,
  ],
  ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', 5],
  ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 2],
  [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
    5,
  ],
  [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    9,
  ],
  [
    'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    2,
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    6,
  ],
  [
    'Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    4,
  ],
  [
    'Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    1,
  ],
  ['curl/8.5.0', 4],
  ['curl/7.88.1', 2],
  ['python-requests/2.31.0', 5],
  ['python-httpx/0.27.0', 1],
  ['axios/1.6.8', 4],
  ['node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 1],
  ['okhttp/4.12.0', 3],
  ['Go-http-client/2.0', 2],
  ['PostmanRuntime/7.37.3', 2],
  ['Java/17.0.10', 1],
  ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 1.5],
  ['Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)', 0.8],
  ['Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)', 0.5],
  ['Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', 1],
  ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', 0.3],
  [
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36',
    0.4,
  ],
  ['Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)', 0.3],
  ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', 0.2],
  ['Dart/3.3 (dart:io)', 1],
];

// [method, route, weight, median ms, kind]: kind picks the status mix.
const ROUTES = [
  ['GET', '/v1/users/:id', 120, 18, 'read'],
  ['GET', '/v1/users', 40, 45, 'list'],
  ['POST', '/v1/users', 8, 60, 'create'],
  ['PATCH', '/v1/users/:id', 10, 35, 'update'],
  ['DELETE', '/v1/users/:id', 2, 25, 'delete'],
  ['GET', '/v1/orders', 70, 80, 'list'],
  ['GET', '/v1/orders/:orderId', 90, 22, 'read'],
  ['POST', '/v1/orders', 30, 140, 'create'],
  ['PATCH', '/v1/orders/:orderId', 12, 50, 'update'],
  ['POST', '/v1/orders/:orderId/cancel', 3, 90, 'create'],
  ['GET', '/v1/orders/:orderId/items', 35, 30, 'list'],
  ['GET', '/v1/products', 110, 55, 'list'],
  ['GET', '/v1/products/:sku', 150, 12, 'read'],
  ['GET', '/v1/products/:sku/reviews', 25, 40, 'list'],
  ['POST', '/v1/products/:sku/reviews', 4, 70, 'create'],
  ['GET', '/v1/search', 80, 190, 'list'],
  ['GET', '/v1/cart', 60, 15, 'read'],
  ['POST', '/v1/cart/items', 35, 25, 'create'],
  ['DELETE', '/v1/cart/items/:itemId', 8, 20, 'delete'],
  ['POST', '/v1/checkout', 12, 420, 'create'],
  ['POST', '/v1/payments', 10, 380, 'create'],
  ['GET', '/v1/payments/:paymentId', 6, 30, 'read'],
  ['POST', '/v1/webhooks/stripe', 9, 45, 'create'],
  ['GET', '/v1/categories', 30, 8, 'list'],
  ['GET', '/v1/categories/:slug', 20, 10, 'read'],
  ['GET', '/v1/inventory/:sku', 25, 28, 'read'],
  ['PUT', '/v1/inventory/:sku', 5, 65, 'update'],
  ['GET', '/v1/shipping/rates', 15, 260, 'list'],
  ['GET', '/v1/notifications', 28, 20, 'list'],
  ['POST', '/v1/notifications/:id/read', 6, 15, 'create'],
  ['GET', '/v1/reports/sales', 3, 1500, 'list'],
  ['GET', '/v1/reports/traffic', 2, 2100, 'list'],
  ['POST', '/v1/exports', 1, 800, 'create'],
  ['GET', '/v1/exports/:exportId', 3, 25, 'read'],
  ['GET', '/v2/users/:id', 45, 14, 'read'],
  ['GET', '/v2/orders', 30, 60, 'list'],
  ['GET', '/v2/orders/:orderId', 35, 18, 'read'],
  ['POST', '/v2/orders', 14, 120, 'create'],
  ['GET', '/v2/products', 40, 40, 'list'],
  ['GET', '/v2/products/:sku', 55, 10, 'read'],
  ['GET', '/v2/search', 30, 150, 'list'],
  ['POST', '/v2/checkout', 6, 380, 'create'],
  ['GET', '/v2/recommendations', 22, 230, 'list'],
  ['POST', '/auth/login', 25, 95, 'auth'],
  ['POST', '/auth/refresh', 40, 12, 'auth'],
  ['POST', '/auth/logout', 6, 8, 'create'],
  ['POST', '/auth/password-reset', 1, 300, 'create'],
  ['GET', '/health', 60, 1, 'health'],
  ['GET', '/metrics', 12, 4, 'health'],
  ['GET', '/openapi.json', 3, 6, 'health'],
  ['OPTIONS', '/v1/users', 5, 1, 'health'],
  ['OPTIONS', '/v1/orders', 4, 1, 'health'],
  ['HEAD', '/health', 6, 1, 'health'],
];
const PROBES = [
  '/wp-login.php',
  '/.env',
  '/admin',
  '/xmlrpc.php',
  '/favicon.ico',
  '/robots.txt',
  '/.git/config',
  '/api',
];

const STATUS_MIXES = {
  read: [
    [200, 88],
    [304, 4],
    [401, 2],
    [403, 0.5],
    [404, 4],
    [429, 0.3],
    [500, 0.4],
    [502, 0.1],
    [503, 0.1],
  ],
  list: [
    [200, 95],
    [400, 1.5],
    [401, 2],
    [429, 0.5],
    [500, 0.6],
    [503, 0.2],
  ],
  create: [
    [201, 88],
    [200, 3],
    [400, 3],
    [401, 1.5],
    [409, 1],
    [422, 2.5],
    [429, 0.3],
    [500, 0.6],
    [502, 0.1],
  ],
  update: [
    [200, 90],
    [204, 2],
    [400, 2],
    [401, 1],
    [404, 2],
    [409, 1],
    [422, 1.5],
    [500, 0.5],
  ],
  delete: [
    [204, 90],
    [200, 3],
    [401, 1],
    [403, 1],
    [404, 4.5],
    [500, 0.5],
  ],
  auth: [
    [200, 86],
    [400, 2],
    [401, 10],
    [429, 1.5],
    [500, 0.5],
  ],
  health: [
    [200, 99.8],
    [503, 0.2],
  ],
};

const COUNTRIES = [
  ['US', 30],
  ['DE', 9],
  ['GB', 8],
  ['IN', 7],
  ['FR', 6],
  ['BR', 5],
  ['CA', 4],
  ['JP', 4],
  ['NL', 3],
  ['AU', 3],
  ['ES', 2.5],
  ['IT', 2.5],
  ['PL', 2],
  ['SE', 1.5],
  ['MX', 1.5],
  ['KR', 1.2],
  ['SG', 1],
  ['ZA', 0.8],
  ['NG', 0.8],
  ['AR', 0.7],
  ['TR', 0.7],
  ['ID', 0.7],
  ['VN', 0.6],
  ['UA', 0.6],
  ['CH', 0.6],
  ['IE', 0.5],
  ['PT', 0.5],
  ['NZ', 0.4],
  ['EG', 0.4],
  ['KE', 0.3],
];

/** A generator of requests for one key. `variant` shifts the mixes so keys differ. */
function keyGenerator(seed, variant) {
  const r = prng(seed);
  const route = weighted(
    ROUTES,
    ROUTES.map(([, , w], i) => w * (1 + 0.5 * Math.sin(i + variant))),
  );
  const ua = weighted(
    USER_AGENTS.map((_, i) => i + 1),
    USER_AGENTS.map(([, w]) => w),
  );
  const statusOf = Object.fromEntries(
    Object.entries(STATUS_MIXES).map(([k, mix]) => [
      k,
      weighted(
        mix.map(([s]) => s),
        mix.map(([, w]) => w),
      ),
    ]),
  );
  const country = weighted(
    COUNTRIES.map(([c]) => c),
    COUNTRIES.map(([, w]) => w),
  );
  // Users come back day after day and make several requests when active: each day about 1 500
  // of the 20 000 registered users (the loyal ones more often) and 500 anonymous visitors (IPs)
  // are active, and each request picks one of that day's actives, a few of them busier.
  const USERS = 20_000;
  const ANON = 30_000;
  const userPick = weighted(
    Array.from({ length: USERS }, (_, i) => i),
    zipf(USERS, 0.9),
  );
  const anonPick = weighted(
    Array.from({ length: ANON }, (_, i) => i),
    zipf(ANON, 0.6),
  );
  let today = -1;
  let dayUser;
  let dayAnon;
  const activeOn = (day) => {
    if (day === today) return;
    today = day;
    const rd = prng(day * 7919 + variant);
    const users = [...new Set(Array.from({ length: 1500 }, () => userPick(rd())))];
    const anon = [...new Set(Array.from({ length: 500 }, () => anonPick(rd())))];
    dayUser = weighted(users, zipf(users.length, 0.7));
    dayAnon = weighted(anon, zipf(anon.length, 0.7));
  };
  const ipOf = (n) =>
    `${((n * 2654435761) % 223) + 1}.${(n >>> 3) % 256}.${(n * 7) % 256}.${((n * 13 + variant) % 254) + 1}`;
  // A fixed country per IP (1.5 % unknown), from a hash of the address.
  const countryOf = new Map();
  const locate = (ip) => {
    let c = countryOf.get(ip);
    if (c === undefined) {
      let hash = 2166136261;
      for (let i = 0; i < ip.length; i++) hash = Math.imul(hash ^ ip.charCodeAt(i), 16777619);
      const u = (hash >>> 0) / 4294967296;
      c = u < 0.015 ? null : country((u - 0.015) / 0.985);
      countryOf.set(ip, c);
    }
    return c;
  };
  return (t) => {
    const x = r();
    let method;
    let path;
    let routeTemplate;
    let status;
    let median;
    if (x < 0.02) {
      method = r() < 0.8 ? 'GET' : 'POST';
      path = r() < 0.7 ? PROBES[Math.floor(r() * PROBES.length)] : `/v1/unknown/${Math.floor(r() * 5000)}`;
      routeTemplate = null;
      status = 404;
      median = 2;
    } else {
      const [m, tpl, , med, kind] = route(r());
      method = m;
      routeTemplate = tpl;
      path = tpl.replace(/:[a-zA-Z]+/g, () => String(Math.floor(r() ** 2 * 100_000)));
      status = statusOf[kind](r());
      median = med;
    }
    // Log-normal latency (σ 0.6), faster failures, a 0.5 % slow tail.
    const z = Math.sqrt(-2 * Math.log(r() || 1e-9)) * Math.cos(2 * Math.PI * r());
    let ms = median * Math.exp(0.6 * z) * (status >= 400 && status < 500 ? 0.4 : 1);
    if (r() < 0.005) ms *= 10 + 20 * r();
    const agent = ua(r());
    activeOn(Math.floor(t / DAY));
    let userId = null;
    let ip;
    if (r() < 0.7 && routeTemplate !== '/health') {
      const u = dayUser(r());
      userId = `user_${u}`;
      ip = ipOf(u * 2 + (r() < 0.15 ? 1 : 0));
    } else {
      ip = ipOf(1_000_000 + dayAnon(r()));
    }
    const h = r();
    const hostname = h < 0.85 ? 'api.example.com' : h < 0.95 ? 'eu.api.example.com' : 'staging.example.com';
    return [t, hostname, ip, path, routeTemplate, agent, method, status, Math.round(ms), locate(ip), userId];
  };
}

/** Relative traffic of the hour starting at `t`: hour of day, weekday, growth over the period. */
function hourWeight(t, start, end) {
  const d = new Date(t);
  const hour = d.getUTCHours();
  const weekday = d.getUTCDay();
  const fromPeak = Math.min(Math.abs(hour - 15), 24 - Math.abs(hour - 15));
  const diurnal = 0.35 + 0.65 * Math.exp(-(fromPeak ** 2) / 18);
  const weekly = weekday === 0 || weekday === 6 ? 0.6 : 1;
  const growth = 0.7 + 0.6 * ((t - start) / (end - start));
  return diurnal * weekly * growth;
}

function csvField(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * Generates the rows of every key in time order, an hour at a time, calling
 * `onHour(rows)` with `[keyId, [created_at, hostname, ip, path, route, user agent id, method,
 * status, response_time, country, user_id]]` entries sorted by time.
 */
async function generate(keys, days, now, onHour) {
  const end = Math.ceil(now / HOUR) * HOUR;
  const start = end - days * DAY;
  const hours = days * 24;
  const weights = Array.from({ length: hours }, (_, h) => hourWeight(start + h * HOUR, start, end));
  const totalWeight = weights.reduce((a, b) => a + b, 0);
  const gens = keys.map((k, i) => ({ ...k, next: keyGenerator(1000 + i, i), carry: 0 }));
  const rnd = prng(42);
  for (let h = 0; h < hours; h++) {
    const slot = [];
    for (const g of gens) {
      const exact = (g.rows * weights[h]) / totalWeight + g.carry;
      const n = Math.floor(exact);
      g.carry = exact - n;
      for (let i = 0; i < n; i++) {
        const t = start + h * HOUR + Math.floor(rnd() * HOUR);
        if (t < now) slot.push([g.id, g.next(t)]);
      }
    }
    slot.sort((a, b) => a[1][0] - b[1][0]);
    await onHour(slot);
  }
}

/** Creates the keys through the store (so they are real keys) and returns them, the main one first. */
async function createKeys(server, store, mainRows, otherRows) {
  const keys = [];
  const now = Date.now();
  const { api_key, dashboard_id } = await server.createApiKey(store, now);
  const main = await store.findKeyByHash(server.hashApiKey(api_key));
  keys.push({ id: main.id, apiKey: api_key, dashboardId: dashboard_id, rows: mainRows });
  const shares = [0.3, 0.2, 0.15, 0.1, 0.08, 0.07, 0.05, 0.03, 0.02];
  for (const share of shares) {
    const k = await server.createApiKey(store, now);
    const rec = await store.findKeyByHash(server.hashApiKey(k.api_key));
    keys.push({
      id: rec.id,
      apiKey: k.api_key,
      dashboardId: k.dashboard_id,
      rows: Math.round(otherRows * share),
    });
  }
  return keys;
}

export async function seed({
  store: kind,
  target,
  mainRows = Number(process.env.BENCH_MAIN_ROWS ?? 5_000_000),
  otherRows = Number(process.env.BENCH_OTHER_ROWS ?? 5_000_000),
  days = Number(process.env.BENCH_DAYS ?? 180),
  now = Date.now(),
  log = console.log,
}) {
  const dist = process.env.BENCH_DIST ?? fileURLToPath(new URL('../dist', import.meta.url));
  const server = await import(pathToFileURL(join(dist, 'index.mjs')).href);
  const t0 = performance.now();
  const store = kind === 'duckdb' ? server.openDuckDbStore(target) : server.openPostgresStore(target);
  await store.migrate();
  const keys = await createKeys(server, store, mainRows, otherRows);
  const agents = await storeUserAgents(server, store);
  // PostgreSQL's monthly partitions, as a collector running through the period would have made
  // them (else the past months' rows would all land in the default partition).
  for (let t = now - days * DAY; store.prepareMonths && t <= now; t += 28 * DAY) await store.prepareMonths(t);
  const load = kind === 'duckdb' ? loadDuckDb : loadPostgres;
  const [[maxId]] = await store.select('SELECT coalesce(max(id), 0) FROM requests', []);
  const rows = await load(
    store,
    target,
    (write) => generateCsv(keys, days, now, agents, Number(maxId) + 1, write),
    log,
  );
  await store.close();
  const seconds = (performance.now() - t0) / 1000;
  log(`seeded ${rows.toLocaleString('en-US')} rows into ${kind} in ${seconds.toFixed(1)} s`);
  return { keys, rows, seconds };
}

/**
 * Stores each user agent once, through the store (one request of a key of its own), so that
 * `user_agents` holds them with their parse, and returns their ids in USER_AGENTS order.
 */
async function storeUserAgents(server, store) {
  const parsed = new Map(USER_AGENTS.map(([ua]) => [ua, server.parseUserAgent(ua)]));
  const { api_key } = await server.createApiKey(store, Date.now());
  const key = await store.findKeyByHash(server.hashApiKey(api_key));
  await store.insertRequests(
    key.id,
    USER_AGENTS.map(([ua]) => ({
      hostname: null,
      ipAddress: null,
      path: '/seed',
      route: null,
      userAgent: ua,
      method: 'GET',
      status: 200,
      responseTime: 0,
      location: null,
      userId: null,
      framework: null,
      createdAt: 0,
    })),
    parsed,
  );
  const ids = new Map(
    (await store.select('SELECT user_agent, id FROM user_agents', [])).map(([ua, id]) => [ua, Number(id)]),
  );
  return USER_AGENTS.map(([ua]) => ids.get(ua));
}

/**
 * The rows as CSV text, a slot at a time, in the column order of DuckDB's `importCsv`: `id,
 * key_id`, then hostname, ip_address, path, route, user_agent_id, method, status,
 * response_time, location, user_id, framework, created_at. Ids follow the stored ones.
 */
async function generateCsv(keys, days, now, agents, firstId, write) {
  let id = firstId - 1;
  await generate(keys, days, now, async (slot) => {
    let text = '';
    for (const [keyId, v] of slot) {
      text += `${++id},${keyId},${v[1]},${v[2]},${csvField(v[3])},${csvField(v[4])},${agents[v[5] - 1]},${v[6]},${v[7]},${v[8]},${csvField(v[9])},${csvField(v[10])},Express,${v[0]}\n`;
    }
    await write(text, slot.length);
  });
}

const CSV_COLUMNS =
  'id, key_id, hostname, ip_address, path, route, user_agent_id, method, status, response_time, location, user_id, framework, created_at';

/** DuckDB: CSV files of 2 M rows read by the store's `importCsv` (parallel, one transaction each). */
async function loadDuckDb(store, _file, generateRows) {
  const { createWriteStream, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'apilens-seed-'));
  let rows = 0;
  let file = 0;
  let out;
  let path;
  let inFile = 0;
  const flush = async () => {
    out.end();
    await once(out, 'finish');
    rows += await store.importCsv(path);
    rmSync(path);
    out = undefined;
  };
  try {
    await generateRows(async (text, n) => {
      if (!out) {
        path = join(dir, `rows-${file++}.csv`);
        out = createWriteStream(path);
        inFile = 0;
      }
      if (!out.write(text)) await once(out, 'drain');
      inFile += n;
      if (inFile >= 2_000_000) await flush();
    });
    if (out) await flush();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/**
 * PostgreSQL: COPY FROM STDIN, the request indexes dropped during the load and rebuilt after; the
 * rollups dropped before and built after by their migration (COPY bypasses ingest's upserts).
 */
async function loadPostgres(store, url, generateRows, log) {
  const pg = (await import('pg')).default;
  const { from: copyFrom } = await import('pg-copy-streams');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const indexes = (
      await c.query(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'requests' AND indexname <> 'requests_pkey'",
      )
    ).rows;
    for (const i of indexes) await c.query(`DROP INDEX ${i.indexname}`);
    const rollups = (await c.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'rollup\\_%'")).rows;
    if (rollups.length > 0) {
      await c.query(`DROP TABLE ${rollups.map((t) => t.tablename).join(', ')}`);
      await c.query('ALTER TABLE keys DROP COLUMN rollups_folded_to');
      await c.query('DELETE FROM schema_migrations WHERE version = 4');
    }
    let rows = 0;
    let copy;
    let inCopy = 0;
    const end = async () => {
      copy.end();
      await once(copy, 'finish');
      copy = undefined;
    };
    await generateRows(async (text, n) => {
      if (!copy) {
        copy = c.query(copyFrom(`COPY requests (${CSV_COLUMNS}) FROM STDIN (FORMAT csv)`));
        inCopy = 0;
      }
      if (!copy.write(text)) await once(copy, 'drain');
      rows += n;
      inCopy += n;
      if (inCopy >= 1_000_000) await end();
    });
    if (copy) await end();
    // A partitioned table's index reads back as `ON ONLY requests` (the parent alone): rebuilt on
    // every partition instead.
    for (const i of indexes) await c.query(i.indexdef.replace(' ON ONLY ', ' ON '));
    await c.query("SELECT setval('requests_id_seq', (SELECT max(id) FROM requests))");
    await c.query('VACUUM ANALYZE');
    if (rollups.length > 0) {
      const t0 = performance.now();
      await store.migrate();
      await c.query('VACUUM ANALYZE');
      log(
        `built the dashboard rollups of ${rows.toLocaleString('en-US')} rows in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
    return rows;
  } finally {
    await c.end();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [kind, target] = process.argv.slice(2);
  if ((kind !== 'duckdb' && kind !== 'postgres') || !target) {
    console.error('usage: node bench/seed.mjs duckdb <file.duckdb> | postgres <postgres://…>');
    process.exit(2);
  }
  const { keys } = await seed({ store: kind, target });
  console.log(JSON.stringify({ main: keys[0] }));
}
