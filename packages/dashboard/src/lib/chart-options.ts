// Shared uPlot settings so every chart of the page looks the same: quiet axes, light grid,
// the page's font, times in the dashboard's zone.
import uPlot from 'uplot';
import type { ChartColors } from './theme.svelte.js';

const FONT = '11px ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** An axis in the page's style. */
export function axis(c: ChartColors, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    stroke: c.muted,
    font: FONT,
    grid: { stroke: c.grid, width: 1 },
    ticks: { show: false },
    gap: 4,
    ...extra,
  };
}

/** Compact y-axis numbers: 1.2k, 3M. */
export function compactTicks(_u: uPlot, values: number[]): string[] {
  return values.map((v) =>
    v >= 1e6 ? `${+(v / 1e6).toFixed(1)}M` : v >= 1e3 ? `${+(v / 1e3).toFixed(1)}k` : `${+v.toFixed(2)}`,
  );
}

/** uPlot's date handling in a given IANA zone (axis labels, cursor). */
export const zoned = (tz: string) => (ts: number) => uPlot.tzDate(new Date(ts * 1e3), tz);

/**
 * One-line time labels in the dashboard's zone, as precise as the tick spacing: `14:00` within a
 * day, `Mon 21` within a few weeks, `21 Nov` beyond, `Nov 2026` for years.
 */
export function timeTicks(
  tz: string,
): (u: uPlot, splits: number[], axisIdx: number, space: number, incr: number) => string[] {
  const make = (o: Intl.DateTimeFormatOptions) => {
    try {
      return new Intl.DateTimeFormat('en-GB', { ...o, timeZone: tz });
    } catch {
      return new Intl.DateTimeFormat('en-GB', { ...o, timeZone: 'UTC' });
    }
  };
  const hour = make({ hour: '2-digit', minute: '2-digit' });
  const day = make({ weekday: 'short', day: 'numeric' });
  const date = make({ day: 'numeric', month: 'short' });
  const month = make({ month: 'short', year: 'numeric' });
  return (_u, splits, _axis, _space, incr) => {
    const f = incr < 86_400 ? hour : incr < 7 * 86_400 ? day : incr < 28 * 86_400 ? date : month;
    return splits.map((s) => f.format(s * 1000));
  };
}

/** Bars centred on their x value. */
export const bars = (): uPlot.Series.PathBuilder => uPlot.paths.bars!({ size: [0.72, 48], align: 0, gap: 1 });

/** A smooth-ish line that does not overshoot. */
export const line = (): uPlot.Series.PathBuilder => uPlot.paths.linear!();

/**
 * Right padding of every chart (px): room for half of a time label centred on the last tick
 * ("Sat 28" was cut to "Sat 2" at 375 px). The same on every chart so that synced charts align.
 */
export const RIGHT_PADDING = 18;

/** Options every chart shares: no legend, a cursor without points. */
export function base(c: ChartColors): Partial<uPlot.Options> {
  return {
    legend: { show: false },
    padding: [10, RIGHT_PADDING, 6, 0],
    cursor: {
      points: { size: 6, fill: c.accent, stroke: c.accent },
      drag: { x: false, y: false, setScale: false },
    },
  };
}
