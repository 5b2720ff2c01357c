import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where the dashboard's built files are: `dist/public` inside the published package (the build
 * copies them there), else the workspace's `@apilens/dashboard/dist` when running from sources.
 * `null` when neither has been built.
 */
export function bundledDashboardDir(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'public'), join(here, '..', 'dist', 'public')];
  try {
    const pkg = createRequire(import.meta.url).resolve('@apilens/dashboard/package.json');
    candidates.push(join(dirname(pkg), 'dist'));
  } catch {
    // not in the workspace: the published package carries dist/public
  }
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

/**
 * Headers of every page and asset. The pages load only their own hashed scripts and styles and
 * talk only to this collector; nothing may frame them, nothing leaks the dashboard id in a
 * Referer. Inline styles set from scripts (chart sizes) go through the CSSOM, which `style-src
 * 'self'` allows; inline `<script>`/`<style>` and `style=""` markup are refused.
 */
export const PAGE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; '),
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** Paths of the app's pages; each answers the app's index.html, which routes in the browser. */
export const PAGE_PATHS = [
  '/',
  '/generate',
  '/dashboard',
  '/dashboard/:id',
  '/delete',
  '/monitoring',
  '/monitoring/:id',
] as const;
