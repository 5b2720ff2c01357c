import { describe, expect, it } from 'vitest';
import { parseAlertInput, parseMonitorInput } from '../../src/monitor/input.js';
import { resolveMonitorOptions } from '../../src/monitor/options.js';

const production = resolveMonitorOptions({});
const testing = resolveMonitorOptions({ monitorMinIntervalSeconds: 1, monitorAllowPrivate: true });

describe('parseMonitorInput', () => {
  it('applies the defaults: 5 minutes, any 2xx or 3xx', () => {
    expect(parseMonitorInput({ url: 'https://api.example.com/health', method: 'HEAD' }, production)).toEqual({
      url: 'https://api.example.com/health',
      method: 'HEAD',
      intervalSeconds: 300,
      expectStatus: null,
    });
  });

  it('takes an interval and an expected status', () => {
    expect(
      parseMonitorInput(
        { url: 'http://example.com', method: 'GET', intervalSeconds: 60, expectStatus: 204 },
        production,
      ),
    ).toEqual({ url: 'http://example.com/', method: 'GET', intervalSeconds: 60, expectStatus: 204 });
  });

  it.each([
    ['no object', [], /send a JSON object/],
    [
      'an unknown field',
      { url: 'https://a.example', method: 'GET', interval: 60 },
      /unknown field "interval"; the fields are url, method, intervalSeconds, expectStatus/,
    ],
    ['no url', { method: 'GET' }, /"url" must be an http:\/\/ or https:\/\/ URL/],
    ['a bad url', { url: 'not a url', method: 'GET' }, /"url" is not an absolute URL/],
    [
      'a gopher url',
      { url: 'gopher://a.example', method: 'GET' },
      /"url" must use http or https, not gopher/,
    ],
    [
      'a loopback url',
      { url: 'http://127.0.0.1:8080/', method: 'GET' },
      /"url": 127\.0\.0\.1 is refused: loopback/,
    ],
    ['no method', { url: 'https://a.example' }, /"method" is required: "GET" or "HEAD"/],
    [
      'a bad method',
      { url: 'https://a.example', method: 'POST' },
      /"method" must be "GET" or "HEAD", got "POST"/,
    ],
    ['a lower-case method', { url: 'https://a.example', method: 'get' }, /"method" must be "GET" or "HEAD"/],
    [
      'a short interval',
      { url: 'https://a.example', method: 'GET', intervalSeconds: 30 },
      /"intervalSeconds" must be a whole number of seconds from 60 to 600, got 30/,
    ],
    [
      'a long interval',
      { url: 'https://a.example', method: 'GET', intervalSeconds: 3600 },
      /from 60 to 600, got 3600/,
    ],
    ['a string interval', { url: 'https://a.example', method: 'GET', intervalSeconds: '60' }, /got "60"/],
    [
      'a bad status',
      { url: 'https://a.example', method: 'GET', expectStatus: 99 },
      /"expectStatus" must be an HTTP status from 100 to 599/,
    ],
  ])('refuses %s with a 400 naming the problem', (_label, body, message) => {
    let error: (Error & { statusCode?: number }) | undefined;
    try {
      parseMonitorInput(body, production);
    } catch (err) {
      error = err as Error & { statusCode?: number };
    }
    expect(error?.statusCode).toBe(400);
    expect(error?.message).toMatch(message);
  });

  it('a test collector allows loopback targets and 1-second intervals', () => {
    expect(
      parseMonitorInput({ url: 'http://127.0.0.1:9/', method: 'GET', intervalSeconds: 1 }, testing),
    ).toMatchObject({
      url: 'http://127.0.0.1:9/',
      intervalSeconds: 1,
    });
  });
});

describe('parseAlertInput', () => {
  it('takes a webhook and a threshold, or null to turn alerts off', () => {
    expect(parseAlertInput({ webhookUrl: 'https://hooks.example.com/x', threshold: 3 }, production)).toEqual({
      webhookUrl: 'https://hooks.example.com/x',
      threshold: 3,
    });
    expect(parseAlertInput({ webhookUrl: null }, production)).toEqual({ webhookUrl: null, threshold: 2 });
  });

  it.each([
    ['no webhookUrl', {}, /"webhookUrl" is required/],
    ['a metadata webhook', { webhookUrl: 'http://169.254.169.254/' }, /cloud metadata/],
    [
      'a zero threshold',
      { webhookUrl: null, threshold: 0 },
      /"threshold" must be a whole number of consecutive failures from 1 to 20, got 0/,
    ],
    ['an unknown field', { webhookUrl: null, url: 'x' }, /unknown field "url"/],
  ])('refuses %s', (_label, body, message) => {
    expect(() => parseAlertInput(body, production)).toThrow(message);
  });
});

describe('resolveMonitorOptions', () => {
  it('names a malformed option', () => {
    expect(() => resolveMonitorOptions({ maxMonitors: -1 })).toThrow(
      /option "maxMonitors" must be an integer from 0/,
    );
    expect(() => resolveMonitorOptions({ monitorMinIntervalSeconds: 0 })).toThrow(
      /"monitorMinIntervalSeconds"/,
    );
    expect(() => resolveMonitorOptions({ monitorAllowPrivate: 'yes' as never })).toThrow(
      /must be true or false/,
    );
  });

  it('the default interval never falls below the minimum', () => {
    expect(resolveMonitorOptions({ monitorMinIntervalSeconds: 400 }).defaultIntervalSeconds).toBe(400);
  });
});
