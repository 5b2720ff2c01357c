// Small helpers shared by the adapter tests: waiting, polling the collector, listening on loopback.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCollector, WireRequest } from './collector.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Flushes until the collector holds `n` records and returns them all: 'finish' may fire just
 * after the client read the response, so one flush right after a request can come too early.
 */
export async function waitForRecords(
  handle: { flush(): Promise<unknown> },
  collector: TestCollector,
  n: number,
  timeoutMs = 5_000,
): Promise<WireRequest[]> {
  const deadline = Date.now() + timeoutMs;
  while (collector.requests().length < n) {
    if (Date.now() > deadline)
      throw new Error(`collector got ${collector.requests().length} of ${n} records`);
    await handle.flush();
    await sleep(5);
  }
  return collector.requests();
}

export interface Listening {
  /** Base URL, `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

/** Waits until a Node HTTP server listens; resolves with its base URL and a close function. */
export async function listening(server: Server): Promise<Listening> {
  if (!server.listening) await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
