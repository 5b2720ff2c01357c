// Whole CSV/NDJSON exports are written by the database (routes/data/text-sql.ts); they must be
// byte for byte what the JavaScript writers (writers.ts, which still write pages) make of the same
// rows. Hostile text in every text column: every control character, quotes, separators, formula
// starts, JavaScript's white space at either end, escapes spelled as text, astral characters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewRequestRow, StoredRow } from '../src/columns.js';
import { WRITERS } from '../src/routes/data/writers.js';
import { type FreshKey, getData, STORES, serveFreshKey } from './harness.js';

const VALUES: (string | null)[] = [
  ...Array.from({ length: 0x1f }, (_, i) => `a${String.fromCharCode(i + 1)}b`),
  ...Array.from({ length: 0x1f }, (_, i) => String.fromCharCode(i + 1)),
  '\u001b\r\n\u001b',
  '\\u001B\u001b\\\\u001F',
  'say "hi", then\r\nleave',
  '=HYPERLINK("x")',
  '+1',
  '-1',
  '@SUM(A1)',
  '\tTAB',
  ' lead',
  'trail ',
  '\u00a0nbsp',
  'line sep\u2028',
  '\ufeffbom',
  '\u3000ideographic',
  'émoji 😀 \u{10ffff}',
  "it's \\ back\\slash / </script>",
  '',
  null,
  'plain',
];

function row(i: number, v: string | null): NewRequestRow {
  return {
    hostname: v,
    ipAddress: null,
    path: v ?? '/p',
    route: v,
    userAgent: v,
    method: v ?? 'GET',
    status: 200 + (i % 300),
    responseTime: i,
    location: v,
    userId: v,
    framework: v,
    createdAt: Date.UTC(2026, 10, 1) + i * 1001,
  };
}

describe.each(STORES)('whole exports written by the database (%s)', (storeName) => {
  let f: FreshKey;

  beforeAll(async () => {
    f = await serveFreshKey(storeName, { rateLimitPerMinute: 0 });
    const id = f.keyId;
    const rows = VALUES.map((v, i) => row(i, v));
    const agents = new Map(
      rows
        .filter((r) => r.userAgent !== null)
        .map((r) => [r.userAgent!, { browser: r.userAgent, os: r.userAgent, device: r.userAgent }]),
    );
    await f.store.insertRequests(id, rows, agents);
  });
  afterAll(() => f?.close());

  it.each(['csv', 'ndjson'] as const)(
    '%s is what the JavaScript writer makes of the same rows',
    async (format) => {
      // The expected text from the values inserted (not read back: DuckDB's driver drops a leading
      // U+FEFF when it decodes a string, which the database's own text keeps).
      const stored = VALUES.map((v, i) => {
        const r = row(i, v);
        return {
          id: i,
          hostname: r.hostname,
          ip_address: r.ipAddress,
          path: r.path,
          route: r.route,
          user_agent: r.userAgent,
          browser: r.userAgent,
          os: r.userAgent,
          device: r.userAgent,
          method: r.method,
          status: r.status,
          response_time: r.responseTime,
          location: r.location,
          user_id: r.userId,
          framework: r.framework,
          created_at: r.createdAt,
        } as StoredRow;
      });
      const w = WRITERS[format];
      const expected = w.head + stored.map((r) => w.row(r)).join(w.separator) + w.tail;
      const data = await getData(f.server.url, f.key.api_key, `format=${format}`);
      expect(data.status).toBe(200);
      expect(data.text).toBe(expected);
      const dashboard = await getData(
        f.server.url,
        undefined,
        `format=${format}&period=all`,
        `/api/dashboard/${f.key.dashboard_id}/export`,
      );
      expect(dashboard.text).toBe(expected);
    },
  );

  it('reads every step of a whole export in the background (ingest goes first)', async () => {
    const real = f.store.select!.bind(f.store);
    const seen: Array<boolean | undefined> = [];
    f.store.select = (sql, params, options) => {
      seen.push(options?.background);
      return real(sql, params, options);
    };
    try {
      expect((await getData(f.server.url, f.key.api_key, 'format=csv')).status).toBe(200);
      const fromData = seen.length;
      expect(fromData).toBeGreaterThan(0);
      const path = `/api/dashboard/${f.key.dashboard_id}/export`;
      expect((await getData(f.server.url, undefined, 'format=ndjson&period=all', path)).status).toBe(200);
      // The dashboard export reads the key's first time (a foreground read) before its steps.
      expect(seen.slice(0, fromData).every((b) => b === true)).toBe(true);
      expect(seen.slice(fromData).filter((b) => b === true).length).toBeGreaterThan(0);
      expect(seen.at(-1)).toBe(true);
    } finally {
      f.store.select = real;
    }
  });
});
