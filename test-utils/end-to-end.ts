// End to end: an instrumented app sends its records to the real collector (`apilens serve`, built,
// in a child process) and the test reads them back through the data API, every field checked.
// The expected rows are written here from what the test sent: the collector's own parsing is not
// asked (a Chrome user agent is Chrome on Windows; 8.8.8.8 is in the United States).
import { expect } from 'vitest';
import { between } from './helpers.js';
import { CHROME, type DataRow, startRealCollector } from './real-collector.js';

/** The headers of every request: a browser behind a proxy, signed in as u-42. */
export const E2E_HEADERS = {
  'user-agent': CHROME.userAgent,
  'x-forwarded-for': '8.8.8.8, 10.0.0.1',
  'x-user-id': 'u-42',
};

/** A request as sent: its answer and when it happened. */
export interface SentRequest {
  /** Base URL of the app. */
  base: string;
  /** Path without the query string. */
  path: string;
  status: number;
  /** `Date.now()` just before sending and just after the body was read. */
  before: number;
  after: number;
  /** What the client waited, ms. */
  elapsed: number;
}

/** Sends GET `base + path` with {@link E2E_HEADERS} (and `init`), reads the body, times it. */
export async function sendTimed(base: string, path: string, init: RequestInit = {}): Promise<SentRequest> {
  const before = Date.now();
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, { ...init, headers: { ...E2E_HEADERS, ...init.headers } });
  await res.arrayBuffer();
  const elapsed = performance.now() - t0;
  return { base, path: path.split('?')[0]!, status: res.status, before, after: Date.now(), elapsed };
}

/**
 * The row the data API must return for a request sent with {@link E2E_HEADERS}: path without
 * its query string, route, status, method, Host, the first forwarded address and its country, the
 * parsed user agent, the user id, the framework, a response time within what the client waited
 * (and no shorter than the handler's sleep), and a creation time within the request.
 */
export function expectedRow(
  sent: SentRequest,
  row: { route: string | null; framework: string; sleepsMs?: number; method?: string },
): Record<keyof DataRow, unknown> {
  return {
    hostname: new URL(sent.base).host,
    ip_address: '8.8.8.8',
    path: sent.path,
    route: row.route,
    user_agent: CHROME.userAgent,
    browser: CHROME.browser,
    os: CHROME.os,
    device: CHROME.device,
    method: row.method ?? 'GET',
    status: sent.status,
    // Timed on the server, so within what the client waited (rounding and event order: +25); a
    // timer never fires early (1 ms of clock rounding aside).
    response_time: between(Math.max(0, (row.sleepsMs ?? 0) - 2), sent.elapsed + 25),
    location: 'US',
    user_id: 'u-42',
    framework: row.framework,
    created_at: between(sent.before - 5, sent.after + 5),
  };
}

/** An app started for the test, reporting to the real collector. */
export interface EndToEndApp {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  /** Delivers what is queued (the adapter's `shutdown()`, or closing the app). */
  deliver(): Promise<unknown>;
  close(): Promise<void>;
}

/** A request the test sends, and the route and status its row must carry. */
export interface EndToEndRequest {
  path: string;
  route: string | null;
  status: number;
  /** The handler takes this long (ms): the row's response time must be at least that. */
  sleepsMs?: number;
}

export interface EndToEndCase {
  /** The `framework` of the rows, e.g. 'Express'. */
  framework: string;
  /**
   * Starts the app with the adapter given this API key and these options (`serverUrl`, and a
   * `getUserID` that must read the `x-user-id` header, written by the caller with its own types).
   */
  start(apiKey: string, serverUrl: string): Promise<EndToEndApp>;
  requests: EndToEndRequest[];
}

/**
 * Starts the real collector and the app, sends the requests one after another (each with a query
 * string), delivers, and checks every row the data API returns (see {@link expectedRow}).
 */
export async function checkEndToEnd(c: EndToEndCase): Promise<void> {
  const collector = await startRealCollector();
  let app: EndToEndApp | undefined;
  try {
    app = await c.start(collector.apiKey, collector.url);
    const expected: unknown[] = [];
    for (const r of c.requests) {
      const sent = await sendTimed(app.url, `${r.path}?from=e2e`);
      expect(sent.status, r.path).toBe(r.status);
      expected.push(expectedRow(sent, { route: r.route, framework: c.framework, sleepsMs: r.sleepsMs }));
    }
    await app.deliver();
    expect(await collector.rows()).toEqual(expected);
  } finally {
    await app?.close();
    await collector.close();
  }
}
