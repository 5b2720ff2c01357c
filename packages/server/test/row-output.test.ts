// The request row as the data API writes it, and the column table against the real schema.
// Expected bodies are computed here from rows read with this file's own SQL, by serialisers
// written here: nothing comes from the server's column table or writers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey, type Store } from '../src/index.js';
import {
  freshStore,
  generateKey,
  getData,
  ingest,
  queryDb,
  STORES,
  type StoreAccess,
  startServer,
  type TestServer,
} from './harness.js';

/** The data API's columns, in order (README, "Rows"). */
const OUTPUT = (
  'hostname,ip_address,path,route,user_agent,browser,os,device,method,status,response_time,location,user_id,' +
  'framework,created_at'
).split(',');

const READ = `SELECT r.hostname, r.ip_address, r.path, r.route, u.user_agent, u.browser, u.os, u.device,
  r.method, r.status, r.response_time, r.location, r.user_id, r.framework, r.created_at
FROM requests r LEFT JOIN user_agents u ON u.id = r.user_agent_id
WHERE r.key_id = $1 ORDER BY r.created_at, r.id`;

type Raw = Record<string, string | number | null>;

/** Rows of a key straight from the database, created_at as ISO 8601. */
async function readRaw(s: StoreAccess, keyId: number): Promise<Raw[]> {
  const rows = await queryDb(s, READ, [keyId]);
  return rows.map(
    (r) =>
      Object.fromEntries(
        OUTPUT.map((k, i) => [k, k === 'created_at' ? new Date(Number(r[i])).toISOString() : r[i]]),
      ) as Raw,
  );
}

/**
 * RFC 4180, plus quoting values with leading or trailing white space (spreadsheets trim them), and
 * a `'` before text a spreadsheet would run as a formula (OWASP: = + - @ tab CR).
 */
function csvValue(v: string | number | null): string {
  if (v === null) return '';
  const s = typeof v === 'string' && '=+-@\t\r'.includes(v[0] ?? 'x') ? `'${v}` : String(v);
  const needsQuotes =
    s.includes('"') || s.includes(',') || s.includes('\r') || s.includes('\n') || s.trim() !== s;
  return needsQuotes ? `"${s.replaceAll('"', '""')}"` : s;
}

const TRICKY = [
  'comma, inside',
  'say "hi"',
  'line\r\nbreak',
  'lf\nonly',
  ' leading space',
  'trailing tab\t',
  'ünïcødé ✓ 😀',
  'back\\slash </script>',
  'control \u0001 char',
  'line separator \u2028 here',
  '=HYPERLINK("http://evil.example","click")',
  '+1+2',
  '-2+3',
  '@SUM(A1:A2)',
  '\tcmd',
  '\r=1',
];

describe.each(STORES)('data API output of every column (%s)', (storeName) => {
  let server: TestServer;
  let store: Store;
  let cleanup: () => Promise<void>;
  let apiKey: string;
  let raw: Raw[];

  beforeAll(async () => {
    const s = await freshStore(storeName);
    store = s.store;
    cleanup = s.cleanup;
    server = await startServer(store);
    apiKey = (await generateKey(server.url)).api_key;
    const requests = TRICKY.map((text, i) => ({
      hostname: i % 3 === 0 ? null : text,
      ip_address: ['8.8.8.8', null, '2a00:1450::1'][i % 3],
      path: `/p/${text}`,
      user_agent: i % 2 ? text : 'curl/8.5.0',
      method: 'get',
      status: 200 + i,
      response_time: i * 7,
      user_id: i % 4 === 0 ? 1000 + i : text,
      created_at: Date.UTC(2026, 10, 27, 10, 0, i),
      route: i % 2 ? null : text,
    }));
    const r = await ingest(server.url, { api_key: apiKey, framework: 'Fast, "API"', requests });
    expect(r.json).toEqual({ accepted: TRICKY.length, rejected: [] });
    const key = (await store.findKeyByHash(hashApiKey(apiKey)))!;
    raw = await readRaw(s, key.id);
    expect(raw).toHaveLength(TRICKY.length);
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('json, compact, ndjson and csv carry every column, in order, escaped as each format requires', async () => {
    const json = await getData(server.url, apiKey);
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(json.text).toBe(JSON.stringify(raw));

    const compact = await getData(server.url, apiKey, 'compact=true');
    expect(compact.text).toBe(JSON.stringify([OUTPUT, ...raw.map((r) => OUTPUT.map((k) => r[k]))]));

    const ndjson = await getData(server.url, apiKey, 'format=ndjson');
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(ndjson.text).toBe(raw.map((r) => `${JSON.stringify(r)}\n`).join(''));

    const csv = await getData(server.url, apiKey, 'format=csv');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="apilens-data.csv"');
    const lines = [OUTPUT.join(','), ...raw.map((r) => OUTPUT.map((k) => csvValue(r[k] ?? null)).join(','))];
    expect(csv.text).toBe(lines.map((l) => `${l}\r\n`).join(''));
  });

  it('an empty result is an empty document in every format', async () => {
    expect((await getData(server.url, apiKey, 'status=599')).text).toBe('[]');
    expect((await getData(server.url, apiKey, 'status=599&compact=true')).text).toBe(
      JSON.stringify([OUTPUT]),
    );
    expect((await getData(server.url, apiKey, 'status=599&format=ndjson')).text).toBe('');
    expect((await getData(server.url, apiKey, 'status=599&format=csv')).text).toBe(`${OUTPUT.join(',')}\r\n`);
  });
});
