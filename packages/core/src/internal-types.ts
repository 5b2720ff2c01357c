import type { ApilensError, Compression, PrivacyLevel, TransportKind } from './types.js';

/** Options after validation and defaults: every field present. Never exported. */
export interface ResolvedConfig<Req = any> {
  privacyLevel: PrivacyLevel;
  /** Full ingest endpoint, e.g. http://localhost:8787/api/log-request */
  endpoint: string;
  getPath: ((req: Req) => string) | undefined;
  getHostname: ((req: Req) => string | null | undefined) | undefined;
  getIPAddress: ((req: Req) => string | null | undefined) | undefined;
  getUserAgent: ((req: Req) => string | null | undefined) | undefined;
  getUserID: ((req: Req) => string | number | null | undefined) | undefined;
  /** Exact paths or route templates not recorded; empty when none. */
  excludeExact: ReadonlySet<string>;
  excludePatterns: readonly RegExp[];
  excludePredicate: ((path: string, req: Req) => boolean) | undefined;
  flushIntervalMs: number;
  maxBatchSize: number;
  maxQueueSize: number;
  compression: Compression;
  onError: ((error: ApilensError) => void) | undefined;
  timeoutMs: number;
  maxRetries: number;
  transport: TransportKind;
}
