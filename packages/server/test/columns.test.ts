// The column table (src/columns.ts) against the schema the migrations really create: a column
// added to one and not the other, or typed differently, fails here. Types are read back from
// each database's own catalogue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ID_SQL, REQUEST_COLUMNS, type SqlTypes } from '../src/columns.js';
import { DUCKDB_DERIVED_COLUMNS } from '../src/store/duckdb-migrations.js';
import { freshStore, queryDb, STORES, type StoreAccess } from './harness.js';

type Catalogue = Record<'requests' | 'user_agents', Map<string, string>>;

/** Column types from each database's own catalogue (information_schema). */
async function catalogue(s: StoreAccess): Promise<Catalogue> {
  const out: Catalogue = { requests: new Map(), user_agents: new Map() };
  for (const table of ['requests', 'user_agents'] as const) {
    const rows = await queryDb(
      s,
      `SELECT column_name, data_type FROM information_schema.columns
       WHERE table_schema IN ('public', 'main') AND table_name = $1`,
      [table],
    );
    for (const [name, type] of rows as [string, string][]) out[table].set(name, type);
  }
  return out;
}

describe.each(STORES)('column table vs the migrated schema (%s)', (storeName) => {
  const sqlKey = ({ PostgreSQL: 'postgres', DuckDB: 'duckdb' } as const)[storeName] satisfies keyof SqlTypes;
  let schema: Catalogue;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const s = await freshStore(storeName);
    cleanup = s.cleanup;
    schema = await catalogue(s);
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
    // DuckDB's columns derived at insert for the dashboard (not part of the output row).
    if (sqlKey === 'duckdb')
      for (const [name, type] of DUCKDB_DERIVED_COLUMNS) expected.requests.set(name, type);
    expect(Object.fromEntries(schema.requests)).toEqual(Object.fromEntries(expected.requests));
    expect(Object.fromEntries(schema.user_agents)).toEqual(Object.fromEntries(expected.user_agents));
  });
});
