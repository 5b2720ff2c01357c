// The DuckDB store writes the batches queued meanwhile as one group per transaction. These tests
// hold what any change to that (e.g. overlapping a group's INSERT with the previous group's
// COMMIT, tried in branch duck10) must keep: a retry of a batch that arrives in the group after
// its first attempt's is stored once, a key deletion sees every batch acknowledged before it, and
// every acknowledged row is stored once with an id of its own.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey, type DuckDbStore, hashApiKey, openDuckDbStore } from '../src/index.js';
import { UnknownKeyError, type UserAgentInfo } from '../src/types.js';
import { tempDir } from './helpers.js';
import { row } from './store-conformance.js';

const UAS = new Map<string, UserAgentInfo>([
  ['Mozilla/5.0 test', { browser: 'Chrome', os: 'Windows', device: 'desktop' }],
]);
const rows = (n: number, tag: string) => Array.from({ length: n }, (_, i) => row({ path: `/${tag}/${i}` }));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('DuckDB: consecutive groups of batches', () => {
  const tmp = tempDir();
  let store: DuckDbStore;
  beforeEach(async () => {
    store = openDuckDbStore(join(tmp.dir, `groups-${Date.now()}.duckdb`));
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  async function newKey(): Promise<number> {
    const { api_key } = await createApiKey(store, Date.now());
    return (await store.findKeyByHash(hashApiKey(api_key)))!.id;
  }
  const count = async (keyId: number) =>
    Number((await store.select!('SELECT count(*) FROM requests WHERE key_id = $1', [keyId]))[0]![0]);

  it('a retry that arrives in the group after its first attempt is answered as stored, and stored once', async () => {
    const key = await newKey();
    const big = rows(20_000, 'big');
    const answers: Promise<number>[] = [store.insertRequests(key, big, UAS, 'batch-1')];
    // Each attempt in a later turn of the event loop: a group of its own, formed while the one
    // before it is inserting or committing.
    for (let i = 0; i < 6; i++) {
      await nextTurn();
      answers.push(store.insertRequests(key, big, UAS, 'batch-1'));
      answers.push(store.insertRequests(key, rows(10, `other-${i}`), UAS));
    }
    const accepted = await Promise.all(answers);
    expect(accepted).toEqual([20_000, ...Array.from({ length: 6 }, () => [20_000, 10]).flat()]);
    expect(await count(key)).toBe(20_000 + 6 * 10);
  });

  it('a key deleted while its batches flow loses them all; other keys keep every acknowledged row', async () => {
    const doomed = await newKey();
    const kept = await newKey();
    const stored = new Map<number, number>([
      [doomed, 0],
      [kept, 0],
    ]);
    let refused = 0;
    const send = (key: number, n: number, tag: string) =>
      store.insertRequests(key, rows(n, tag), UAS).then(
        (accepted) => stored.set(key, stored.get(key)! + accepted),
        (err) => {
          expect(err).toBeInstanceOf(UnknownKeyError);
          expect(key).toBe(doomed);
          refused++;
        },
      );
    const sent: Promise<unknown>[] = [];
    let deletion: Promise<{ requests: number }> | undefined;
    for (let i = 0; i < 40; i++) {
      sent.push(send(kept, 300 + i, `k${i}`), send(doomed, 5000 + i, `d${i}`));
      if (i === 20) deletion = store.deleteKey(doomed);
      await nextTurn();
    }
    await Promise.all(sent);
    const deleted = await deletion!;
    // Every batch of the doomed key acknowledged before the deletion is what it deleted.
    expect(deleted.requests).toBe(stored.get(doomed));
    expect(refused).toBeGreaterThan(0);
    expect(await count(doomed)).toBe(0);
    let want = 0;
    for (let i = 0; i < 40; i++) want += 300 + i;
    expect(stored.get(kept)).toBe(want);
    expect(await count(kept)).toBe(want);
    const [[all, distinct]] = (await store.select!(
      'SELECT count(*), count(DISTINCT id) FROM requests',
      [],
    )) as [[number, number]];
    expect(distinct).toBe(all);
  });
});
