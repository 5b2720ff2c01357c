import type { FastifyRequest } from 'fastify';
import type { HttpError } from '../errors.js';
import type { CountryLookup } from '../ingest/geoip.js';
import type { UserAgentCache } from '../ingest/user-agent.js';
import type { ResolvedOptions } from '../options.js';
import type { KeyRecord, NewRequestRow, Store, UserAgentInfo } from '../types.js';

/** What the route handlers share; built once by buildServer. */
export interface AppContext {
  options: ResolvedOptions;
  /** The opened store; set before the server listens. */
  readonly store: Store;
  /** `null` when country lookup is off. */
  readonly geo: CountryLookup | null;
  userAgents: UserAgentCache;
  /** Looks a key up by its value (hashing it); store errors become 503. */
  findKey(apiKey: string): Promise<KeyRecord | null>;
  /** Stores a batch; a key deleted meanwhile becomes a 401, store errors a 503. */
  insert(keyId: number, rows: NewRequestRow[], userAgents: ReadonlyMap<string, UserAgentInfo>): Promise<void>;
  /** Records use of a key (ingest or read) for the retention job; never fails the request. */
  touch(keyId: number): Promise<void>;
  /** The 401 for a key that does not exist. */
  unknownKey(): HttpError;
  /** Route config for the per-key rate limit (undefined when disabled). */
  keyRateLimit(keyOf: (request: FastifyRequest) => string | undefined): object | undefined;
}
