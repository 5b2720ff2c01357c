import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { Analytics, Config } from '../src/index.js';

describe('config', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('fills defaults', () => {
    const c = resolveConfig({}, '@apilens/core');
    expect(c).toMatchObject({
      privacyLevel: 0,
      endpoint: 'http://localhost:8787/api/log-request',
      flushIntervalMs: 10_000,
      maxBatchSize: 5_000,
      maxQueueSize: 10_000,
      compression: 'gzip',
      timeoutMs: 10_000,
      maxRetries: 5,
      transport: 'auto',
    });
  });

  it('reads APILENS_SERVER_URL and normalises trailing slashes and paths', () => {
    vi.stubEnv('APILENS_SERVER_URL', 'https://collector.example.com/base/');
    expect(resolveConfig({}, 'x').endpoint).toBe('https://collector.example.com/base/api/log-request');
    expect(resolveConfig({ serverUrl: 'http://127.0.0.1:9/' }, 'x').endpoint).toBe(
      'http://127.0.0.1:9/api/log-request',
    );
  });

  it('accepts a Config instance with fields set after construction (upstream style)', () => {
    const config = new Config();
    config.privacyLevel = 2;
    config.maxBatchSize = 10;
    const c = resolveConfig(config, 'x');
    expect(c.privacyLevel).toBe(2);
    expect(c.maxBatchSize).toBe(10);
  });

  it.each([
    [{ privacyLevel: 3 }, /config\.privacyLevel: expected 0, 1 or 2, got 3/],
    [{ privacyLevel: '1' }, /config\.privacyLevel/],
    [{ serverUrl: 'ftp://x' }, /config\.serverUrl: expected an http/],
    [{ serverUrl: 'not a url' }, /config\.serverUrl/],
    [{ maxBatchSize: 0 }, /config\.maxBatchSize: expected an integer from 1 to 100000, got 0/],
    [{ maxBatchSize: 1.5 }, /config\.maxBatchSize/],
    [{ maxQueueSize: -1 }, /config\.maxQueueSize/],
    [{ maxBatchSize: 100, maxQueueSize: 10 }, /maxQueueSize: it must be at least maxBatchSize/],
    [{ flushIntervalMs: 'soon' }, /config\.flushIntervalMs/],
    [{ compression: 'br' }, /config\.compression: expected 'gzip' or 'none'/],
    [{ getPath: 'path' }, /config\.getPath: expected a function/],
    [{ onError: true }, /config\.onError/],
    [{ exclude: '/health' }, /config\.exclude/],
    [{ exclude: [42] }, /config\.exclude/],
    [{ transport: 'xhr' }, /config\.transport/],
    [{ privacylevel: 1 }, /unknown config\.privacylevel \(did you mean privacyLevel\?\)/],
  ])('rejects %j with a TypeError naming the field', (options, message) => {
    const express = { framework: 'Express', packageName: '@apilens/express' };
    expect(() => new Analytics('key', express, options as never)).toThrow(TypeError);
    expect(() => new Analytics('key', express, options as never)).toThrow(message);
    // The message names the adapter package the user installed…
    expect(() => new Analytics('key', express, options as never)).toThrow(/^@apilens\/express: /);
    // …or the core, for code that uses it directly with a framework name.
    expect(() => new Analytics('key', 'Express', options as never)).toThrow(/^@apilens\/core: /);
  });

  it('rejects a non-object config and a non-string key', () => {
    const koa = { framework: 'Koa', packageName: '@apilens/koa' };
    expect(() => new Analytics('key', koa, 5 as never)).toThrow(
      /@apilens\/koa: config must be a Config instance/,
    );
    expect(() => new Analytics(42 as never, koa)).toThrow(/@apilens\/koa: the API key must be a string/);
  });

  it('takes the framework name sent to the collector from a string or an identity', () => {
    const direct = new Analytics('key', 'MyFramework');
    expect([direct.framework, direct.packageName]).toEqual(['MyFramework', '@apilens/core']);
    const adapter = new Analytics('key', { framework: 'Koa', packageName: '@apilens/koa' });
    expect([adapter.framework, adapter.packageName]).toEqual(['Koa', '@apilens/koa']);
    const unnamed = new Analytics('key', '');
    expect([unnamed.framework, unnamed.packageName]).toEqual(['Custom', '@apilens/core']);
    return Promise.all([direct.shutdown(0), adapter.shutdown(0), unnamed.shutdown(0)]);
  });

  it('a missing API key is a one-time warning and a no-op client', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      // A fresh copy of the module: the warning is once per process (module state), so an
      // earlier test must not have used it up.
      vi.resetModules();
      const { Analytics } = await import('../src/index.js');
      const a = new Analytics(undefined, 'Express');
      const b = new Analytics('', 'Express');
      expect(a.enabled).toBe(false);
      expect(b.enabled).toBe(false);
      a.record({ method: 'GET', path: '/', status: 200, responseTimeMs: 1 });
      a.createRecorder({ path: () => '/', hostname: () => 'h', ipAddress: () => 'i', userAgent: () => 'u' })(
        {},
        'GET',
        200,
        null,
        1,
      );
      await a.flush();
      await a.shutdown();
      expect(a.stats()).toEqual({
        queued: 0,
        inFlight: 0,
        sent: 0,
        rejected: 0,
        dropped: 0,
        retries: 0,
        failedBatches: 0,
      });
      // Two clients without a key, one warning, naming the package and the fix.
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/^\[@apilens\/core\] No API key given: .*keys create/);
    } finally {
      warn.mockRestore();
    }
  });
});
