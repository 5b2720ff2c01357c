import { join } from 'node:path';
import { openDuckDbStore, openPostgresStore } from '../src/index.js';
import { createTestDatabase, tempDir } from './helpers.js';
import { describeStore } from './store-conformance.js';

describeStore('PostgreSQL', async () => {
  const db = await createTestDatabase();
  const store = openPostgresStore(db.url);
  return {
    store,
    async cleanup() {
      await store.close();
      await db.drop();
    },
  };
});

describeStore('DuckDB', async () => {
  const tmp = tempDir();
  const store = openDuckDbStore(join(tmp.dir, 'test.duckdb'));
  return {
    store,
    async cleanup() {
      await store.close();
      tmp.remove();
    },
  };
});
