/// <reference types="svelte" />
/// <reference types="vite/client" />

declare module 'virtual:world-map' {
  /** Countries of the world map as `[ISO alpha-2, SVG path]`, projected at build time. */
  const map: { width: number; height: number; countries: Array<[string, string]> };
  export default map;
}
