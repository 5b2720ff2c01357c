// The monitor store conformance suite on both stores with monitoring: DuckDB (one process per
// file) and PostgreSQL (a second store on the same database plays a second collector process).
import { join } from 'node:path';
import { openDuckDbStore, openPostgresStore, type Store } from '../../src/index.js';
import type { MonitorStore } from '../../src/monitor/store-types.js';
import { createTestDatabase, tempDir } from '../helpers.js';
import { describeMonitorStore } from './store-conformance.js';

const withMonitors = (s: Store) => s as Store & MonitorStore;

describeMonitorStore(
  'DuckDB',
  async () => {
    const tmp = tempDir();
    const store = openDuckDbStore(join(tmp.dir, 'monitors.duckdb'));
    await store.migrate();
    return {
      store: withMonitors(store),
      async cleanup() {
        await store.close();
        tmp.remove();
      },
    };
  },
  { shared: false },
);

describeMonitorStore(
  'PostgreSQL',
  async () => {
    const db = await createTestDatabase();
    const store = openPostgresStore(db.url);
    await store.migrate();
    const second = openPostgresStore(db.url);
    await second.migrate();
    return {
      store: withMonitors(store),
      second: withMonitors(second),
      async cleanup() {
        await second.close();
        await store.close();
        await db.drop();
      },
    };
  },
  { shared: true },
);
