// After the build: precompress every text asset (gzip and brotli, served as-is by the collector)
// and check the dashboard page's weight against its budget.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'vite';

/** What the dashboard page (and the monitoring page) may load, JS + CSS, gzipped. */
export const BUDGET_BYTES = 150 * 1024;
const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt']);

interface ChunkLike {
  type: 'chunk' | 'asset';
  fileName: string;
  imports?: string[];
  dynamicImports?: string[];
  facadeModuleId?: string | null;
  isEntry?: boolean;
  viteMetadata?: { importedCss: Set<string> };
}

/**
 * The files a visit to `/dashboard/<id>` downloads: the entry and its static imports, then the
 * dashboard page chunk with everything it imports, lazily too (the map).
 */
export function dashboardPageFiles(bundle: Record<string, ChunkLike>, pageModule: RegExp): string[] {
  const files = new Set<string>();
  const visit = (name: string, dynamic: boolean) => {
    const chunk = bundle[name];
    if (!chunk || files.has(name)) return;
    files.add(name);
    for (const css of chunk.viteMetadata?.importedCss ?? []) files.add(css);
    for (const dep of chunk.imports ?? []) visit(dep, dynamic);
    if (dynamic) for (const dep of chunk.dynamicImports ?? []) visit(dep, true);
  };
  for (const chunk of Object.values(bundle)) if (chunk.isEntry) visit(chunk.fileName, false);
  const page = Object.values(bundle).find((c) => c.facadeModuleId && pageModule.test(c.facadeModuleId));
  if (!page) throw new Error(`@apilens/dashboard: no chunk for the dashboard page (${pageModule})`);
  visit(page.fileName, true);
  return [...files].filter((f) => f.endsWith('.js') || f.endsWith('.css'));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const kB = (n: number) => `${(n / 1024).toFixed(1)} kB`;

/**
 * Vite plugin: prints each page's gzipped JS + CSS (the pages named in `pages`, each by its
 * module), fails when one is over budget, precompresses.
 */
export function assetBudget(pages: Record<string, RegExp>): Plugin {
  let outDir = 'dist';
  let pageFiles: Array<[string, string[]]> = [];
  return {
    name: 'apilens-asset-budget',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    generateBundle(_options, bundle) {
      pageFiles = Object.entries(pages).map(([name, module]) => [
        name,
        dashboardPageFiles(bundle as unknown as Record<string, ChunkLike>, module),
      ]);
    },
    closeBundle() {
      for (const [name, files] of pageFiles) {
        let total = 0;
        const rows: string[] = [];
        for (const file of files) {
          const size = gzipSync(readFileSync(join(outDir, file)), { level: 9 }).length;
          total += size;
          rows.push(`  ${kB(size).padStart(9)}  ${file}`);
        }
        const verdict = total <= BUDGET_BYTES ? 'within' : 'OVER';
        console.log(
          `\n${name} page: ${kB(total)} gzipped JS + CSS (${verdict} the ${kB(BUDGET_BYTES)} budget)\n${rows.join('\n')}`,
        );
        if (total > BUDGET_BYTES) {
          throw new Error(
            `@apilens/dashboard: the ${name} page loads ${kB(total)} gzipped, over its ${kB(BUDGET_BYTES)} budget; trim a dependency or lazy-load it`,
          );
        }
      }
      for (const file of walk(outDir)) {
        if (!COMPRESSIBLE.has(extname(file))) continue;
        const raw = readFileSync(file);
        writeFileSync(`${file}.gz`, gzipSync(raw, { level: 9 }));
        writeFileSync(
          `${file}.br`,
          brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
        );
      }
    },
  };
}
