// Light or dark, following the system. Charts read their colours from the CSS variables and are
// rebuilt when the scheme flips, so this is the one place that watches it.

const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;

/** The colour scheme in force (reactive). */
export const scheme = $state({ dark: media?.matches ?? false });
media?.addEventListener('change', (e) => {
  scheme.dark = e.matches;
});

/** Colours the charts use, read from the page's CSS variables. */
export interface ChartColors {
  accent: string;
  accentSoft: string;
  second: string;
  text: string;
  muted: string;
  grid: string;
  good: string;
  warn: string;
  bad: string;
}

let cached: { dark: boolean; colors: ChartColors } | undefined;

/**
 * The chart colours of the current scheme, read once per scheme: reading them computes the
 * page's styles, which a chart built just before has invalidated (four charts, four recalcs).
 */
export function chartColors(): ChartColors {
  if (cached?.dark === scheme.dark) return cached.colors;
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  const colors: ChartColors = {
    accent: v('--accent'),
    accentSoft: v('--accent-soft'),
    second: v('--series-2'),
    text: v('--text'),
    muted: v('--muted'),
    grid: v('--grid'),
    good: v('--good'),
    warn: v('--warn'),
    bad: v('--bad'),
  };
  cached = { dark: scheme.dark, colors };
  return colors;
}
