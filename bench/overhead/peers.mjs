// The peers the overhead benchmark measures apilens against, pointed at the harness's
// loopback sink: nothing a bench app does leaves the machine.
//
// - node-api-analytics (the upstream middleware) posts to `config.serverUrl` + /api/log-request
//   (node-fetch), once a minute: set to the sink.
// - apitally posts to `process.env.APITALLY_HUB_BASE_URL` (default https://hub.apitally.io, read
//   at every send) + /v2/<client id>/<env>/{startup,sync,log}: set to the sink before it starts.
//   Request logging is turned on, so that it ships one record per request as apilens does
//   (by default it only counts requests per endpoint).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A valid-looking apitally client id (UUID v4); the sink accepts any. */
export const APITALLY_CLIENT_ID = '5e1f3c0a-9b7d-4c2e-8f6a-1d2b3c4d5e6f';

/**
 * apitally's options for a bench app, with its hub pointed at the sink.
 * @param {string} serverUrl the harness's sink
 */
export function apitallyConfig(serverUrl) {
  process.env.APITALLY_HUB_BASE_URL = serverUrl;
  return { clientId: APITALLY_CLIENT_ID, env: 'bench', requestLogging: { enabled: true } };
}

/**
 * Shuts apitally's client down (it sends what it holds). apitally exports no shutdown of its
 * own from the framework entries; its client module is the one its middleware imported.
 */
export async function apitallyShutdown() {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('apitally/express');
  const { ApitallyClient } = await import(
    pathToFileURL(join(dirname(entry), '..', 'common', 'client.js')).href
  );
  await ApitallyClient.shutdown();
}

/**
 * node-api-analytics' Config pointed at the sink.
 * @param {string} serverUrl
 */
export async function upstreamConfig(serverUrl) {
  const upstream = await import('node-api-analytics');
  const config = new upstream.Config();
  config.serverUrl = serverUrl;
  return { upstream, config };
}

/**
 * `rounds(n, x)`: `n` rounds of integer steps, the A/B phase's control, a known CPU cost per
 * request. The body is 48 steps long, built as text so that its bytecode is too large for V8 to
 * inline it into the app's own function: a profile then shows the control under its own name
 * (attribute.mjs counts it by that name).
 */
const rounds = new Function(
  `return function apilensBenchControl(n, x) {
    for (let i = 0; i < n; i++) { ${'x = (x * 31 + i) | 0; '.repeat(48)}}
    return x;
  };`,
)();
let burnt = 0;
function burn(n) {
  burnt = rounds(n, burnt);
}

/** Rounds of {@link burn} per µs of CPU, measured once per process (~0.1 s of CPU). */
let roundsPerUs;
function calibrate() {
  if (roundsPerUs !== undefined) return roundsPerUs;
  // Timed as the requests call it (many short calls, not one long loop, whose OSR code runs at
  // another speed), twice: the first pass also warms it up.
  let guess = 16;
  for (let pass = 0; pass < 2; pass++) {
    const calls = 40_000;
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) burn(guess);
    const used = process.cpuUsage(before);
    roundsPerUs = (guess * calls) / Math.max(1, used.user + used.system);
    guess = Math.max(1, Math.round(roundsPerUs));
  }
  return roundsPerUs;
}

/**
 * The switch of the A/B phase (an app's `toggle` variant): apilens is called only while `on()`.
 * `toggle` is what the harness flips and flushes: `set(active, controlUs)` with `controlUs > 0`
 * makes every `on()` burn that many µs of CPU (`burn`, in this file), a known cost per request:
 * with apilens off, it tells whether the A/B phase measures what a hook adds; with apilens on,
 * `attribute.mjs` compares apilens's samples in a profile with the control's.
 * @param {{ flush(): Promise<unknown> }} analytics
 */
export function abSwitch(analytics) {
  let active = false;
  let steps = 0;
  return {
    on: () => {
      if (steps > 0) burn(steps);
      return active;
    },
    toggle: {
      set: (value, controlUs = 0) => {
        active = value;
        steps = controlUs > 0 ? Math.max(1, Math.round(calibrate() * controlUs)) : 0;
      },
      flush: () => analytics.flush(),
    },
  };
}
