// Every relative link and image in the repository's Markdown points at a file that is committed:
// the READMEs once showed screenshots that only existed in one checkout.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tracked = new Set(
  execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean),
);
const markdown = [...tracked].filter((f) => f.endsWith('.md') && !f.startsWith('.changeset/'));

/** Targets of `[text](target)` and `![alt](target)` that are paths in this repository. */
function localTargets(text: string): string[] {
  const targets: string[] = [];
  // Code blocks and inline code hold examples, not links.
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    targets.push(decodeURIComponent(target.split('#')[0]!));
  }
  return targets;
}

describe('Markdown links', () => {
  it('finds the READMEs', () => {
    expect(markdown).toContain('README.md');
    expect(markdown).toContain('packages/server/README.md');
  });

  it.each(markdown)('%s links only to committed files', (file) => {
    const missing = localTargets(readFileSync(join(root, file), 'utf8'))
      .map((t) => join(dirname(file), t).replace(/\/$/, ''))
      .filter((p) => !tracked.has(p) && ![...tracked].some((f) => f.startsWith(`${p}/`)));
    expect(missing).toEqual([]);
  });
});
