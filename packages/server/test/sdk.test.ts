// The apilens SDK core reporting to the real collector over HTTP (gzip, its own wire format).
import { Analytics } from '@apilens/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshStore, generateKey, getData, STORES, startServer, type TestServer } from './harness.js';

describe.each(STORES)('@apilens/core → collector (%s)', (storeName) => {
  let server: TestServer;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const s = await freshStore(storeName);
    cleanup = s.cleanup;
    server = await startServer(s.store);
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('stores what the SDK records, at every privacy level', async () => {
    for (const privacyLevel of [0, 1, 2] as const) {
      const { api_key } = await generateKey(server.url);
      const analytics = new Analytics(api_key, 'Express', {
        serverUrl: server.url,
        privacyLevel,
        onError: () => {},
      });
      for (let i = 0; i < 250; i++) {
        analytics.record({
          method: i % 2 ? 'post' : 'GET',
          path: `/users/${i}?token=secret`,
          route: '/users/:id',
          status: i % 10 === 0 ? 500 : 200,
          responseTimeMs: i,
          hostname: 'api.example.com',
          ipAddress: '8.8.8.8, 10.0.0.1',
          userAgent: 'curl/8.5.0',
          userId: i % 3 === 0 ? i : null,
          createdAt: Date.UTC(2026, 10, 27, 10) + i,
        });
      }
      await analytics.shutdown(5000);
      expect(analytics.stats()).toMatchObject({ queued: 0, dropped: 0 });
      const rows = (await getData(server.url, api_key)).json;
      expect(rows).toHaveLength(250);
      expect(rows[3]).toEqual({
        hostname: 'api.example.com',
        ip_address: privacyLevel === 0 ? '8.8.8.8' : null,
        path: '/users/3',
        route: '/users/:id',
        user_agent: 'curl/8.5.0',
        browser: 'curl',
        os: null,
        device: 'other',
        method: 'POST',
        status: 200,
        response_time: 3,
        location: privacyLevel === 2 ? null : 'US',
        user_id: '3',
        framework: 'Express',
        created_at: '2026-11-27T10:00:00.003Z',
      });
    }
  });
});
