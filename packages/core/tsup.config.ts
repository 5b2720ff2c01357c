import type { Options } from 'tsup';
import { packageBuild } from '../../tsup.base';

type Plugin = NonNullable<Options['esbuildPlugins']>[number];

// Two entries: the public API, and `@apilens/core/internal` for the adapters and benchmarks.
const entry = ['src/index.ts', 'src/internal.ts'];

/** Points `./runtime.js` at `runtime-web.ts`: the web build is the same code with fetch and CompressionStream. */
const webRuntime: Plugin = {
  name: 'apilens-web-runtime',
  setup(build) {
    build.onResolve({ filter: /^\.\/runtime\.js$/ }, (args) => ({
      path: `${args.resolveDir}/runtime-web.ts`,
    }));
  },
};

export default [
  // Node.js: dist/. Its clean leaves dist/web to the build below, which runs at the same time.
  packageBuild({ entry, clean: ['!web/**'] }),
  // The web build: dist/web/, for the workerd, worker, browser, edge-light, deno and bun export
  // conditions (package.json). Its types are the Node build's: the API is the same.
  packageBuild({
    entry,
    outDir: 'dist/web',
    dts: false,
    platform: 'neutral',
    target: 'es2022',
    esbuildPlugins: [webRuntime],
  }),
];
