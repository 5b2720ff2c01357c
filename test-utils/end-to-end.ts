// End to end: an instrumented app sends its records to the real collector (`apilens serve`, built,
// in a child process) and the test reads them back through the data API, every field checked.
// The expected rows are written here from what the test sent: the collector's own parsing is not
// asked (a Chrome user agent is Chrome on Windows; 8.8.8.8 is in the United States).
import { expect } from 'vitest';
import { between } from './helpers.js';
import { CHROME, type DataRow, startRealCollector } from './real-collector.js';

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

/** The headers of every request: a browser behind a proxy, signed in as u-42. */
const HEADERS = {
  'user-agent': CHROME.userAgent,
  'x-forwarded-for': '8.8.8.8, 10.0.0.1',
  'x-user-id': 'u-42',
};

/**
 * Starts the real collector and the app, sends the requests one after another, delivers, and
 * checks every row the data API returns against what was sent: path without its query string,
 * route, status, method, Host, the first forwarded address and its country, the parsed user agent,
 * the user id, the framework, a response time within the request's wall time (and no shorter
 * than the handler's sleep), and a creation time within it.
 */
export async function checkEndToEnd(c: EndToEndCase): Promise<void> {
  const collector = await startRealCollector();
  let app: EndToEndApp | undefined;
  try {
    app = await c.start(collector.apiKey, collector.url);
    const expected: unknown[] = [];
    for (const r of c.requests) {
      const before = Date.now();
      const t0 = performance.now();
      const res = await fetch(`${app.url}${r.path}?from=e2e`, { headers: HEADERS });
      await res.arrayBuffer();
      const elapsed = performance.now() - t0;
      const after = Date.now();
      expect(res.status, r.path).toBe(r.status);
      expected.push({
        hostname: new URL(app.url).host,
        ip_address: '8.8.8.8',
        path: r.path,
        route: r.route,
        user_agent: CHROME.userAgent,
        browser: CHROME.browser,
        os: CHROME.os,
        device: CHROME.device,
        method: 'GET',
        status: r.status,
        // Timed on the server, so within what the client waited (rounding and event order: +25).
        response_time: between(Math.max(0, (r.sleepsMs ?? 0) - 2), elapsed + 25),
        location: 'US',
        user_id: 'u-42',
        framework: c.framework,
        created_at: between(before - 5, after + 5),
      } satisfies Record<keyof DataRow, unknown>);
    }
    await app.deliver();
    expect(await collector.rows()).toEqual(expected);
  } finally {
    await app?.close();
    await collector.close();
  }
}
