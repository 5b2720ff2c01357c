// A fresh PostgreSQL database for a benchmark: on DATABASE_URL's server, else on a throwaway one
// started by scripts/pg.sh; dropped (and the server stopped) when the benchmark is done.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Runs `fn(url, dir)` on a new database named `apilens_bench_<name>_<pid>`, then drops it; `dir` is
 * the cluster's directory when this started one (its processes can then be measured).
 */
export async function withBenchDatabase(name, fn) {
  let pgDir;
  let url = process.env.DATABASE_URL;
  if (!url) {
    const out = execFileSync('sh', [join(repo, 'scripts/pg.sh'), 'start'], { encoding: 'utf8' })
      .trim()
      .split('\n');
    pgDir = out.at(-2);
    url = out.at(-1);
  }
  const pg = (await import('pg')).default;
  const dbName = `apilens_bench_${name}_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${dbName}`);
    const u = new URL(url);
    u.pathname = `/${dbName}`;
    return await fn(u.toString(), pgDir);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.end();
    if (pgDir) execFileSync('sh', [join(repo, 'scripts/pg.sh'), 'stop', pgDir]);
  }
}
