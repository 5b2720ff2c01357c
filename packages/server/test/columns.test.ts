// The column table (src/columns.ts) against the schema the migrations really create: a column
// added to one and not the other, or typed differently, fails here. Types are read back from
// each database's own catalogue.
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ID_SQL, REQUEST_COLUMNS, type SqlTypes } from '../src/columns.js';
import { freshStore, STORES } from './harness.js';

type Catalogue = Record<'requests' | 'user_agents', Map<string, string>>;

async function catalogue(location: { db?: string; databaseUrl?: string }): Promise<Catalogue> {
  const out: Catalogue = { requests: new Map(), user_agents: new Map() };
  if (location.db) {
    const db = new Database(location.db, { readonly: true });
    try {
      for (const table of ['requests', 'user_agents'] as const) {
        for (const c of db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string }[]) {
          out[table].set(c.name, c.type);
        }
      }
    } finally {
      db.close();
    }
    return out;
  }
  const c = new pg.Client({ connectionString: location.databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{
      table_name: 'requests' | 'user_agents';
      column_name: string;
      data_type: string;
    }>(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name IN ('requests', 'user_agents')`,
    );
    for (const row of r.rows) out[row.table_name].set(row.column_name, row.data_type);
  } finally {
    await c.end();
  }
  return out;
}

describe.each(STORES)('column table vs the migrated schema (%s)', (storeName) => {
  const sqlKey: keyof SqlTypes = storeName === 'SQLite' ? 'sqlite' : 'postgres';
  let schema: Catalogue;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const s = await freshStore(storeName);
    cleanup = s.cleanup;
    schema = await catalogue(s.location);
  });
  afterAll(async () => {
    await cleanup?.();
  });

  it('every column is in its table with its declared type, and nothing else is', () => {
    const expected: Catalogue = { requests: new Map(), user_agents: new Map() };
    expected.requests.set('id', ID_SQL[sqlKey]);
    expected.requests.set('key_id', ID_SQL[sqlKey]);
    expected.requests.set('user_agent_id', ID_SQL[sqlKey]);
    expected.user_agents.set('id', ID_SQL[sqlKey]);
    for (const c of REQUEST_COLUMNS) expected[c.table].set(c.name, c.sql[sqlKey]);
    expect(Object.fromEntries(schema.requests)).toEqual(Object.fromEntries(expected.requests));
    expect(Object.fromEntries(schema.user_agents)).toEqual(Object.fromEntries(expected.user_agents));
  });
});
