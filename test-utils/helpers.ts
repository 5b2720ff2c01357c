// Small helpers shared by the adapter tests: waiting, polling the collector, listening on loopback.
import { once } from 'node:events';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestCollector, WireRequest } from './collector.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds; fails after `timeoutMs` saying what it waited for. */
export async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

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

/**
 * An asymmetric matcher (for `toEqual`, `toMatchObject`) accepting a number from `lo` to `hi`,
 * or an ISO 8601 string whose time is in that range (epoch milliseconds).
 */
export function between(lo: number, hi: number) {
  return {
    asymmetricMatch: (value: unknown) => {
      const n = typeof value === 'string' ? Date.parse(value) : value;
      return typeof n === 'number' && n >= lo && n <= hi;
    },
    toString: () => `between ${lo} and ${hi}`,
    toAsymmetricMatcher: () => `between(${lo}, ${hi})`,
  };
}

/** A request that reached a `/held` handler, held there until the test releases it. */
export interface HeldRequest {
  /** The Node request: its socket tells whether the client is still there. */
  raw: IncomingMessage;
  /** Lets the handler answer. */
  release(): void;
}

const heldRequests: HeldRequest[] = [];
let arrived: (() => void) | undefined;

/**
 * The `/held` route of the adapter test apps: its handler calls `held.hold(rawRequest)` and
 * answers once the test releases it, so a test knows the request is in the handler (not merely
 * sent) before it acts, instead of guessing with a sleep.
 */
export const held = {
  /** Called by the handler; resolves when the test calls `release()`. */
  hold(raw: IncomingMessage): Promise<void> {
    return new Promise<void>((release) => {
      heldRequests.push({ raw, release });
      arrived?.();
    });
  },
  /** Resolves with the next request to reach a `/held` handler. */
  async next(): Promise<HeldRequest> {
    while (heldRequests.length === 0) {
      await new Promise<void>((resolve) => {
        arrived = resolve;
      });
    }
    return heldRequests.shift()!;
  },
};

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

/**
 * Kills `child` when this test process exits: a test that times out or fails before its cleanup
 * must not leave servers running after the run (they hold ports, files and CPU).
 */
export function reapOnExit<
  T extends { kill(signal?: NodeJS.Signals): boolean; once(e: 'exit', f: () => void): unknown },
>(child: T): T {
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.off('exit', kill));
  return child;
}
