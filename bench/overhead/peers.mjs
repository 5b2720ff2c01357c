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
 * The switch of the A/B phase (an app's `toggle` variant): apilens is called only while `on()`;
 * `toggle` is what the app returns for the harness to flip and flush.
 * @param {{ flush(): Promise<unknown> }} analytics
 */
export function abSwitch(analytics) {
  let active = false;
  return {
    on: () => active,
    toggle: {
      set: (value) => {
        active = value;
      },
      flush: () => analytics.flush(),
    },
  };
}
