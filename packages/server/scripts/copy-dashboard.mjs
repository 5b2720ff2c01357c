// After tsup: ships the dashboard web app in this package, as dist/public (served by the
// collector). The dashboard is built first (it is a workspace dependency of this package).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(
  dirname(createRequire(import.meta.url).resolve('@apilens/dashboard/package.json')),
  'dist',
);
const target = join(here, '..', 'dist', 'public');
if (!existsSync(join(source, 'index.html'))) {
  console.error(
    `@apilens/server: the dashboard is not built (${source} has no index.html); run \`pnpm --filter @apilens/dashboard build\` first`,
  );
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
cpSync(source, target, { recursive: true });
