// The rows every collector benchmark sends: bench:server (run.mjs) and the PostgreSQL store alone
// (pg-ingest.mjs). 40 routes, 250 response times, 14 statuses, a few hundred users.

export const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'Go-http-client/1.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
];
export const HOSTS = ['api.example.com', 'eu.example.com', 'us.example.com', 'staging.example.com'];
export const ROUTES = Array.from({ length: 40 }, (_, i) => `/v1/resource${i}/:id`);
export const STATUSES = [200, 200, 200, 200, 200, 200, 201, 204, 301, 400, 401, 404, 404, 500];
export const IPS = ['8.8.8.8', '1.1.1.1', '2a00:1450::1', '81.2.69.160', '203.0.113.9', '5.9.1.1'];

/** Row `i` of the stream, created at `t`, as an SDK sends it (the upstream row format). */
export function wireRow(i, t) {
  const route = ROUTES[i % ROUTES.length];
  return {
    hostname: HOSTS[i % HOSTS.length],
    ip_address: IPS[i % IPS.length],
    path: route.replace(':id', String(i % 1000)),
    user_agent: AGENTS[i % AGENTS.length],
    method: i % 5 === 0 ? 'POST' : 'GET',
    status: STATUSES[i % STATUSES.length],
    response_time: i % 250,
    user_id: i % 3 === 0 ? `user-${i % 500}` : null,
    created_at: new Date(t).toISOString(),
    route,
  };
}

/** Row `i` created at `t` as the store receives it (a country per address, as GeoIP would give). */
export function storeRow(i, t) {
  const w = wireRow(i, t);
  return {
    hostname: w.hostname,
    ipAddress: w.ip_address,
    path: w.path,
    route: w.route,
    userAgent: w.user_agent,
    method: w.method,
    status: w.status,
    responseTime: w.response_time,
    location: i % 7 === 0 ? 'DE' : 'US',
    userId: w.user_id,
    framework: 'Express',
    createdAt: t,
  };
}
