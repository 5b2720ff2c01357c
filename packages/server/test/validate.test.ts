import { describe, expect, it } from 'vitest';
import { parseTimestamp, parseUserAgent } from '../src/index.js';

describe('parseTimestamp', () => {
  const utc = (s: string) => new Date(s).getTime();
  it.each([
    ['2026-11-27T10:00:00.000Z', utc('2026-11-27T10:00:00.000Z')],
    ['2026-11-27T10:00:00Z', utc('2026-11-27T10:00:00Z')],
    ['2026-11-27t10:00:00z', utc('2026-11-27T10:00:00Z')],
    ['2026-11-27T10:00:00.123456', utc('2026-11-27T10:00:00.123Z')],
    ['2026-11-27T10:00:00', utc('2026-11-27T10:00:00Z')],
    ['2026-11-27 10:00:00.5', utc('2026-11-27T10:00:00.500Z')],
    ['2026-11-27T10:00', utc('2026-11-27T10:00:00Z')],
    ['2026-11-27T10:00:00+00:00', utc('2026-11-27T10:00:00Z')],
    ['2026-11-27T11:00:02.123456789+01:00', utc('2026-11-27T10:00:02.123Z')],
    ['2026-11-27T05:30:00-0430', utc('2026-11-27T10:00:00Z')],
    ['2026-11-27T12:00:00+02', utc('2026-11-27T10:00:00Z')],
    ['2024-02-29T00:00:00Z', utc('2024-02-29T00:00:00Z')],
    ['2026-12-31T23:59:60Z', utc('2026-12-31T23:59:59Z')],
  ])('%s', (input, expected) => {
    expect(parseTimestamp(input)).toBe(expected);
  });

  it.each([
    'yesterday',
    '',
    '2026-11-27',
    '2026-13-01T00:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-11-27T24:00:00Z',
    '2026-11-27T10:60:00Z',
    '2026-11-27T10:00:61Z',
    '2026-11-27T10:00:00.Z',
    '2026-11-27T10:00:00+25:00',
    '2026-11-27T10:00:00 UTC',
    '2026-11-27T10:00:00Zjunk',
    '27/11/2026 10:00:00',
    '+02026-11-27T10:00:00Z',
  ])('rejects %j', (input) => {
    expect(parseTimestamp(input)).toBeUndefined();
  });
});

describe('parseUserAgent', () => {
  it('names browser, OS and device; tools by their product; bots as bots', () => {
    expect(
      parseUserAgent(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      ),
    ).toEqual({ browser: 'Chrome', os: 'Windows', device: 'desktop' });
    expect(parseUserAgent('curl/8.5.0')).toEqual({ browser: 'curl', os: null, device: 'other' });
    expect(
      parseUserAgent('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'),
    ).toEqual({
      browser: 'Googlebot',
      os: null,
      device: 'bot',
    });
    expect(parseUserAgent('')).toEqual({ browser: null, os: null, device: 'other' });
  });
});
