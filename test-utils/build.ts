// Tests that run a package's published build (child processes, other Nest majors) make sure
// it is there and current. In CI `pnpm build` has just run, so nothing is rebuilt and no test
// removes a dist folder (tsup cleans it first) while another test file is reading it.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = fileURLToPath(new URL('../', import.meta.url));
export const packageDir = (name: string): string => join(repoRoot, 'packages', name);

/** Newest modification time (ms) of a file or of any file under a directory; 0 if missing. */
export function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

/** Oldest modification time of the files directly in a directory; 0 if missing or empty. */
function oldest(dir: string): number {
  if (!existsSync(dir)) return 0;
  const times = readdirSync(dir).map((name) => statSync(join(dir, name)).mtimeMs);
  return times.length === 0 ? 0 : Math.min(...times);
}

/** Runs a command, failing with its output. */
export async function exec(command: string, args: string[], cwd: string): Promise<void> {
  try {
    await run(command, args, { cwd, timeout: 240_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `\`${command} ${args.join(' ')}\` in ${cwd} failed: ${e.stderr || e.stdout || e.message}`,
    );
  }
}

// What a package's build reads: tsup packages and the Vite-built dashboard alike.
const SOURCES = ['src', 'package.json', 'tsup.config.ts', 'vite.config.ts', 'index.html', 'build', 'public'];

/** Builds the named workspace packages (e.g. `core`) whose dist is missing or older than their sources. */
export async function ensureBuilt(names: string[]): Promise<void> {
  const stale = names.filter((name) => {
    const dir = packageDir(name);
    const built = oldest(join(dir, 'dist'));
    const sources = SOURCES.map((p) => newest(join(dir, p)));
    return built === 0 || Math.max(...sources, newest(join(repoRoot, 'tsup.base.ts'))) > built;
  });
  if (stale.length > 0) {
    await exec('pnpm', stale.flatMap((name) => ['--filter', `@apilens/${name}`]).concat('build'), repoRoot);
  }
}

/** The fields of a package.json the workspace tests read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  scripts?: Record<string, string>;
}

/** Reads a package.json. */
export const readManifest = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8')) as Manifest;

/** The packages published to npm: every `packages/*` whose package.json is not private, with its folder name. */
export function publishedPackages(): Array<{ dir: string; manifest: Manifest }> {
  return readdirSync(join(repoRoot, 'packages'))
    .map((dir) => ({ dir, manifest: readManifest(join(packageDir(dir), 'package.json')) }))
    .filter(({ manifest }) => !manifest.private);
}

/** A published package packed as `pnpm publish` would pack it. */
export interface PackedPackage {
  name: string;
  /** Folder under packages/. */
  dir: string;
  /** Absolute path of the .tgz. */
  tarball: string;
  /** Paths inside the tarball, relative to the package root. */
  files: string[];
}

/**
 * Builds (when stale) and packs every published package into `destination` with one
 * `pnpm -r pack` (pnpm's start-up is most of a pack: one instead of seven). The tarballs have
 * workspace ranges turned into versions, as `pnpm publish` writes them.
 */
export async function packPublished(destination: string): Promise<PackedPackage[]> {
  const published = publishedPackages();
  await ensureBuilt(published.map(({ dir }) => dir));
  const filters = published.flatMap(({ dir }) => ['--filter', `./packages/${dir}`]);
  const { stdout } = await run(
    'pnpm',
    ['-r', ...filters, 'pack', '--pack-destination', destination, '--json'],
    {
      cwd: repoRoot,
      timeout: 120_000,
      maxBuffer: 16 << 20,
    },
  );
  const out = JSON.parse(stdout) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;
  return published.map(({ dir, manifest }) => {
    const tarball = out.find((p) => p.name === manifest.name);
    if (!tarball) throw new Error(`pnpm pack made no tarball for ${manifest.name}`);
    return { name: manifest.name, dir, tarball: tarball.filename, files: tarball.files.map((f) => f.path) };
  });
}
