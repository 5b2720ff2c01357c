// Number, time and name formatting for the cards. English, the viewer's zone or the chosen one.
import type { BucketName } from './api-types.js';

// Intl objects are made on first use, not as the module loads: this module is in the entry, whose
// evaluation comes before the dashboard's request leaves, and each costs milliseconds to make in a
// new page. warmFormats() makes them while the figures are on their way.
let grouped: Intl.NumberFormat | undefined;
let compact: Intl.NumberFormat | undefined;
let regions: Intl.DisplayNames | undefined;
let relative: Intl.RelativeTimeFormat | undefined;

/** `1,234,567` */
export function count(n: number): string {
  grouped ??= new Intl.NumberFormat('en');
  return grouped.format(n);
}

/** `1.2M`, `12.3K`, `987` */
export function compactCount(n: number): string {
  if (n < 10_000) return count(n);
  compact ??= new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
  return compact.format(n);
}

/**
 * Makes the number, country-name and date formats ahead of their first use (idle time while the
 * figures are on their way): the first of each costs milliseconds in a new page, the first in a
 * zone more.
 */
export function warmFormats(tz: string): void {
  compactCount(10_000);
  countryName('US');
  for (const name of Object.keys(DATE_FORMATS) as Array<keyof typeof DATE_FORMATS>) formatter(tz, name);
}

/** `98.7%` (one decimal under 100, none at 0 or 100); `—` when unknown. */
export function percent(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—';
  const p = rate * 100;
  if (p === 0 || p === 100) return `${p}%`;
  if (p > 99.9 && p < 100) return '99.9%';
  if (p < 0.1) return '<0.1%';
  return `${p.toFixed(1)}%`;
}

/** `12 ms`, `1.53 s`; `—` when unknown. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 10_000) return `${(value / 1000).toFixed(2)} s`;
  return `${(value / 1000).toFixed(1)} s`;
}

/** Change from the previous period as a signed percentage; `null` when there is nothing to compare. */
export function change(current: number | null, previous: number | null | undefined): number | null {
  if (current === null || previous === null || previous === undefined) return null;
  if (previous === 0) return current === 0 ? 0 : null;
  return (current - previous) / previous;
}

/** `+12%`, `−3.4%` */
export function signedPercent(delta: number): string {
  const p = delta * 100;
  const digits = Math.abs(p) < 10 ? 1 : 0;
  const text = Math.abs(p).toFixed(digits);
  if (Number(text) === 0) return '0%';
  return `${p > 0 ? '+' : '−'}${text}%`;
}

/** Change of a rate in percentage points: `+1.2 pp`. */
export function signedPoints(delta: number): string {
  const p = delta * 100;
  const text = Math.abs(p).toFixed(1);
  if (Number(text) === 0) return '0 pp';
  return `${p > 0 ? '+' : '−'}${text} pp`;
}

const countryNames = new Map<string, string>();

/** A country's English name from its ISO code; `Unknown` for null. Remembered: the map asks for ~180. */
export function countryName(code: string | null): string {
  if (!code || code === 'unknown') return 'Unknown';
  let name = countryNames.get(code);
  if (name === undefined) {
    try {
      regions ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
      name = regions.of(code.toUpperCase()) ?? code;
    } catch {
      name = code;
    }
    countryNames.set(code, name);
  }
  return name;
}

// The date formats the cards use, by name: a per-call key (of the options) cost more than the
// formatting itself for a table of rows.
const DATE_FORMATS = {
  day: { day: 'numeric', month: 'short', year: 'numeric' },
  dayShort: { day: 'numeric', month: 'short' },
  bucket: { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' },
  dateTime: { day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' },
  dayTime: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' },
  hourMinute: { hour: '2-digit', minute: '2-digit' },
  time: { hour: '2-digit', minute: '2-digit', second: '2-digit' },
} satisfies Record<string, Intl.DateTimeFormatOptions>;

const formats = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string, name: keyof typeof DATE_FORMATS): Intl.DateTimeFormat {
  const key = `${name} ${tz}`;
  let f = formats.get(key);
  if (!f) {
    const options: Intl.DateTimeFormatOptions = DATE_FORMATS[name];
    try {
      f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: tz });
    } catch {
      f = new Intl.DateTimeFormat('en-GB', { ...options, timeZone: 'UTC' });
    }
    formats.set(key, f);
  }
  return f;
}

/** A bucket's start, as precise as its width: `27 Nov, 14:05` or `27 Nov 2026`. */
export function bucketTime(t: number, bucket: BucketName, tz: string): string {
  return formatter(tz, bucket === '1d' ? 'day' : 'bucket').format(t);
}

/** `27 Nov 2026, 14:05` */
export const dateTime = (t: number, tz: string): string => formatter(tz, 'dateTime').format(t);

/** `14:05:09` */
export const time = (t: number, tz: string): string => formatter(tz, 'time').format(t);

/**
 * A custom range as the picker shows it: days as `1 Nov → 7 Nov`, instants (a drag-to-zoom) with
 * their times in the zone: `25 Nov 14:00 → 18:30`.
 */
export function rangeLabel(from: string, to: string, tz: string): string {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const dayFormat = formatter('UTC', 'dayShort');
  if (day.test(from) && day.test(to)) {
    return `${dayFormat.format(Date.parse(from))} → ${dayFormat.format(Date.parse(to))}`;
  }
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b)) return `${from} → ${to}`;
  const full = formatter(tz, 'dayTime');
  const sameDay = date(a, tz) === date(b, tz);
  return `${full.format(a)} → ${sameDay ? formatter(tz, 'hourMinute').format(b) : full.format(b)}`;
}

/** `27 Nov 2026` */
export const date = (t: number, tz: string): string => formatter(tz, 'day').format(t);

/** `3 minutes ago`, `yesterday` */
export function ago(t: number, now = Date.now()): string {
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  if (abs < 60) return 'just now';
  relative ??= new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  if (abs < 3600) return relative.format(Math.round(s / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(s / 3600), 'hour');
  if (abs < 30 * 86_400) return relative.format(Math.round(s / 86_400), 'day');
  return relative.format(Math.round(s / (30 * 86_400)), 'month');
}

/** The label of a breakdown entry whose name is unknown. */
export const nameOr = (name: string | null, fallback = 'Unknown'): string => name ?? fallback;
