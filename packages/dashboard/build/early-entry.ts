// A second entry, src/early.ts, loaded ahead of the app's. Vite folds every module script of an
// HTML page into one entry, whose code runs only once all of its static imports (Svelte, the app
// shell) are fetched and compiled; a separate Rollup input is the way to a script that runs as
// soon as its own few kilobytes are in. This plugin adds that input and its <script> tag, first
// in <head> (module scripts run in document order, so it runs before the app's).
import { resolve } from 'node:path';
import type { HtmlTagDescriptor, Plugin } from 'vite';

const SOURCE = 'src/early.ts';
const NAME = 'early';

/** Vite plugin: `src/early.ts` as its own entry, its script tag first in `index.html`. */
export function earlyEntry(): Plugin {
  let root = process.cwd();
  return {
    name: 'apilens-early-entry',
    config(config, { command }) {
      if (command !== 'build') return;
      const base = config.root ?? process.cwd();
      return {
        build: {
          rollupOptions: {
            input: { index: resolve(base, 'index.html'), [NAME]: resolve(base, SOURCE) },
          },
        },
      };
    },
    configResolved(config) {
      root = config.root;
    },
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx): HtmlTagDescriptor[] {
        const tag = (src: string, rel?: string): HtmlTagDescriptor =>
          rel
            ? { tag: 'link', attrs: { rel, crossorigin: true, href: src }, injectTo: 'head-prepend' }
            : { tag: 'script', attrs: { type: 'module', crossorigin: true, src }, injectTo: 'head-prepend' };
        if (!ctx.bundle) return [tag(`/${SOURCE}`)]; // dev server: the source, as is
        const chunk = Object.values(ctx.bundle).find(
          (c) => c.type === 'chunk' && c.isEntry && c.facadeModuleId === resolve(root, SOURCE),
        );
        if (chunk?.type !== 'chunk') throw new Error(`@apilens/dashboard: no chunk for ${SOURCE}`);
        return [tag(`/${chunk.fileName}`), ...chunk.imports.map((f) => tag(`/${f}`, 'modulepreload'))];
      },
    },
  };
}
