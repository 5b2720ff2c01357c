// Build-time world map: projects world-atlas's 110m countries with d3-geo once, here, and hands
// the page a virtual module of SVG path strings keyed by ISO 3166 alpha-2 code. The browser then
// needs neither d3-geo nor topojson-client nor the topology (about 11 kB gzipped instead of 50).
import { createRequire } from 'node:module';
import { geoEqualEarth, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { Plugin } from 'vite';

const require = createRequire(import.meta.url);
const VIRTUAL = 'virtual:world-map';
const RESOLVED = `\0${VIRTUAL}`;

/** Width and height of the map's SVG viewBox. */
export const MAP_WIDTH = 1000;
export const MAP_HEIGHT = 490;

// Shapes of the 110m atlas without an ISO numeric id, mapped to the code rows carry.
const UNNUMBERED: Record<string, string> = { Kosovo: 'XK', Somaliland: 'SO', 'N. Cyprus': 'CY' };

type Ring = Array<[number, number]>;

function ringsOf(path: ReturnType<typeof geoPath>, geometry: unknown): Ring[] {
  const rings: Ring[] = [];
  let current: Ring = [];
  const context = {
    moveTo(x: number, y: number) {
      current = [[x, y]];
      rings.push(current);
    },
    lineTo(x: number, y: number) {
      current.push([x, y]);
    },
    closePath() {},
    arc() {},
    rect() {},
  };
  path.context(context as never)(geometry as never);
  return rings;
}

/**
 * One country's rings as a compact SVG path: whole units, repeated points dropped, rings under
 * 1.5 square units (specks invisible at any card size) dropped, relative `l` segments.
 */
function encode(rings: Ring[]): string {
  let d = '';
  for (const ring of rings) {
    const pts: Ring = [];
    for (const [x, y] of ring) {
      const p: [number, number] = [Math.round(x), Math.round(y)];
      const last = pts[pts.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) pts.push(p);
    }
    if (pts.length < 3) continue;
    let area = 0;
    for (let i = 0; i < pts.length; i++) {
      const p = pts[i]!;
      const q = pts[(i + 1) % pts.length]!;
      area += p[0] * q[1] - q[0] * p[1];
    }
    if (Math.abs(area) / 2 < 1.5) continue;
    const [first, ...rest] = pts as [[number, number], ...Ring];
    let [px, py] = first;
    const steps = rest.map(([x, y]) => {
      const s = `${x - px} ${y - py}`;
      px = x;
      py = y;
      return s;
    });
    d += `M${first[0]} ${first[1]}l${steps.join(' ').replace(/ -/g, '-')}z`;
  }
  return d;
}

/** The map as `[alpha2, svgPath][]`, Antarctica left out (no API traffic, a third of the height). */
export function buildWorldMap(): Array<[string, string]> {
  const topology = require('world-atlas/countries-110m.json');
  const iso = require('i18n-iso-countries') as { numericToAlpha2(n: string): string | undefined };
  const countries = feature(topology, topology.objects.countries) as unknown as {
    type: 'FeatureCollection';
    features: Array<{ id?: string; properties: { name: string } }>;
  };
  countries.features = countries.features.filter((f) => f.properties.name !== 'Antarctica');
  const projection = geoEqualEarth().fitSize([MAP_WIDTH, MAP_HEIGHT], countries as never);
  const path = geoPath(projection);
  const byCode = new Map<string, string>();
  for (const f of countries.features) {
    const code = (f.id && iso.numericToAlpha2(f.id)) || UNNUMBERED[f.properties.name];
    if (!code) throw new Error(`@apilens/dashboard: no ISO code for map shape "${f.properties.name}"`);
    byCode.set(code, (byCode.get(code) ?? '') + encode(ringsOf(path, f)));
  }
  return [...byCode].filter(([, d]) => d.length > 0);
}

/** Vite plugin serving `virtual:world-map` (`export default { width, height, countries }`). */
export function worldMap(): Plugin {
  return {
    name: 'apilens-world-map',
    resolveId: (id) => (id === VIRTUAL ? RESOLVED : undefined),
    load(id) {
      if (id !== RESOLVED) return undefined;
      const data = { width: MAP_WIDTH, height: MAP_HEIGHT, countries: buildWorldMap() };
      return `export default ${JSON.stringify(data)};`;
    },
  };
}
