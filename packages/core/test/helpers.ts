import type { ApilensError, RequestRecord } from '../src/index.js';

/** A request record with every field set. */
export function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    method: 'GET',
    path: '/users/42?expand=1',
    route: '/users/:id',
    status: 200,
    responseTimeMs: 12.4,
    hostname: 'api.example.com',
    ipAddress: '203.0.113.9',
    userAgent: 'Mozilla/5.0 test',
    userId: 'u-1',
    ...over,
  };
}

export function errorsInto(list: ApilensError[]): (e: ApilensError) => void {
  return (e) => {
    list.push(e);
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` is true or fails after `timeoutMs`. */
export async function until(fn: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
