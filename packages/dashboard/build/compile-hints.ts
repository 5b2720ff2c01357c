// Compile hints: the chunks a dashboard visit loads after the entry start with V8's
// `//# allFunctionsCalledOnLoad` magic comment, so Chromium (136 and later) compiles all their
// functions while it streams the file, on a background thread, instead of each function lazily on
// the main thread the first time it is called — which, for a new visitor (no code cache), was in
// the middle of drawing the cards. Not the entry: it holds every other page too (landing, generate,
// delete, monitoring's glue), and compiling all of it ahead held its evaluation, so the dashboard's
// request left no earlier and the visit's main thread did as much as without hints (A/B,
// 2026-11-28: whole-visit main-thread time 830 ms with the entry hinted, 717 without, 832 none).
// Other engines read a comment.
import type { Plugin } from 'vite';
import { dashboardPageFiles } from './assets.js';

/** V8's explicit compile hint for a whole file; it must be the file's first line. */
export const COMPILE_HINT = '//# allFunctionsCalledOnLoad';

/** Vite plugin: prepends {@link COMPILE_HINT} to the JS chunks a visit to `page` downloads, but the entry. */
export function compileHints(page: RegExp): Plugin {
  return {
    name: 'apilens-compile-hints',
    apply: 'build',
    generateBundle: {
      // Last: after minification (which would drop the comment) and Vite's own additions to the
      // entry (its preload map), before the files are written and precompressed. The chunks'
      // names keep their hashes: the comment is the same in every build.
      order: 'post',
      handler(_options, bundle) {
        for (const file of dashboardPageFiles(bundle as never, page)) {
          const chunk = bundle[file];
          if (chunk?.type === 'chunk' && !chunk.isEntry && !chunk.code.startsWith(COMPILE_HINT)) {
            chunk.code = `${COMPILE_HINT}\n${chunk.code}`;
          }
        }
      },
    },
  };
}
