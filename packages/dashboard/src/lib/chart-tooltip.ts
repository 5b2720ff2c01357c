// A uPlot plugin drawing a small tooltip next to the cursor. Built from text nodes only: series
// names can come from stored data.
import type uPlot from 'uplot';

/** One line of the tooltip: a colour swatch, a name and a value. */
export interface TipRow {
  color: string;
  name: string;
  value: string;
}

/** Tooltip plugin: `title(idx)` heads it, `rows(idx)` are its lines; nothing when `title` is null. */
export function tooltip(
  title: (idx: number) => string | null,
  rows: (idx: number) => TipRow[],
): uPlot.Plugin {
  let tip: HTMLDivElement;
  return {
    hooks: {
      init: (u) => {
        tip = document.createElement('div');
        tip.className = 'chart-tip tooltip-box';
        tip.hidden = true;
        u.over.append(tip);
        u.over.addEventListener('mouseleave', () => {
          tip.hidden = true;
        });
      },
      setCursor: (u) => {
        const idx = u.cursor.idx;
        const head = idx === null || idx === undefined ? null : title(idx);
        if (
          idx === null ||
          idx === undefined ||
          head === null ||
          u.cursor.left === undefined ||
          u.cursor.left < 0
        ) {
          tip.hidden = true;
          return;
        }
        const strong = document.createElement('strong');
        strong.textContent = head;
        const lines = rows(idx).map((r) => {
          const line = document.createElement('div');
          const swatch = document.createElement('i');
          swatch.style.background = r.color;
          const name = document.createElement('span');
          name.textContent = r.name;
          const value = document.createElement('b');
          value.textContent = r.value;
          line.append(swatch, name, value);
          return line;
        });
        tip.replaceChildren(strong, ...lines);
        tip.hidden = false;
        const width = u.over.clientWidth;
        const left = u.cursor.left;
        const flip = left > width / 2;
        tip.style.left = flip ? '' : `${left + 12}px`;
        tip.style.right = flip ? `${width - left + 12}px` : '';
        tip.style.top = '4px';
      },
    },
  };
}
