import pg from 'pg';

/** Advisory lock key of the jobs that run in one process per database ("aplj"). */
export const JOB_LOCK = 0x61706c6a;

/** The job lock of one PostgreSQL store; see {@link postgresJobLock}. */
export interface PgJobLock {
  /** True while this process holds the lock, taking it when it is free. */
  lead(): Promise<boolean>;
  /** Gives the lock up (closes its connection). */
  release(): Promise<void>;
}

/**
 * The lock that makes one of the collector processes sharing a database run the jobs that must
 * run once (retention, deleting old monitor attempts, the demo data): a session-level
 * `pg_try_advisory_lock` on a connection of its own, outside the pool, held for as long as the
 * process runs. A process that dies (even SIGKILL) loses its connection and with it the lock;
 * the next process to ask takes it over. A lock per job run would not do: each process runs its
 * timers at its own phase, so a daily job would still run once a day per process.
 *
 * Calls are serialised: two jobs asking at once must not open two sessions, the second of which
 * would be refused the lock the first one holds.
 */
export function postgresJobLock(connectionString: string): PgJobLock {
  let holder: pg.Client | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  const drop = (client: pg.Client) => {
    if (holder === client) holder = undefined;
    client.end().catch(() => {});
  };

  async function attempt(): Promise<boolean> {
    if (closed) return false;
    if (holder) {
      // Still connected means still holding: a session lock lasts as long as its session.
      try {
        await holder.query('SELECT 1');
        return true;
      } catch {
        drop(holder);
      }
    }
    const client = new pg.Client({ connectionString });
    // A lost connection (server restart, network) is a lost lock, not a crash.
    client.on('error', () => drop(client));
    try {
      await client.connect();
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [JOB_LOCK]);
      if (r.rows[0]?.ok && !closed) {
        holder = client;
        return true;
      }
    } catch {
      // The database is unreachable: not the runner this time; the caller asks again later.
    }
    drop(client);
    return false;
  }

  return {
    lead() {
      const next = queue.then(attempt);
      queue = next.catch(() => {});
      return next;
    },
    async release() {
      closed = true;
      await queue;
      if (holder) {
        const c = holder;
        holder = undefined;
        await c.end().catch(() => {});
      }
    },
  };
}
