// Calls to the collector's API from the page: same origin, JSON in and out, and errors sorted
// into the states the pages draw (unknown id, bad request, collector unreachable or failing).
import type { DashboardResponse } from './api-types.js';
import { type View, viewParams } from './view-state.svelte.js';

/** Why a call failed: the pages show each kind differently. */
export type ApiFailure =
  | { kind: 'not-found'; message: string }
  | { kind: 'unauthorized'; message: string }
  | { kind: 'bad-request'; message: string }
  | { kind: 'limited'; message: string }
  | { kind: 'collector'; message: string };

/** A failed call, carrying its {@link ApiFailure}. */
export class ApiError extends Error {
  readonly failure: ApiFailure;
  constructor(failure: ApiFailure) {
    super(failure.message);
    this.name = 'ApiError';
    this.failure = failure;
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let message = `the collector answered ${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: unknown };
    if (typeof body.error === 'string') message = body.error;
  } catch {
    // not JSON: keep the status line
  }
  const kind: ApiFailure['kind'] =
    res.status === 404
      ? 'not-found'
      : res.status === 401
        ? 'unauthorized'
        : res.status === 429 || res.status === 403
          ? 'limited'
          : res.status >= 400 && res.status < 500
            ? 'bad-request'
            : 'collector';
  return new ApiError({ kind, message });
}

/**
 * A message for a failed call: `unknownKey` when the collector does not know the key, the
 * collector's own message otherwise, `unreachable` when it did not answer.
 */
export function explain(
  err: unknown,
  unknownKey: string,
  unreachable = 'the collector did not answer',
): string {
  if (!(err instanceof ApiError)) return unreachable;
  return err.failure.kind === 'unauthorized' ? unknownKey : err.message;
}

/** What went wrong in a failed call, for the pages' error states. */
export function failureOf(err: unknown): ApiFailure {
  return err instanceof ApiError
    ? err.failure
    : { kind: 'collector', message: 'the collector did not answer; check that it is running' };
}

/** `fetch` to the collector; network failures and non-2xx answers become {@link ApiError}s. */
export async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({
      kind: 'collector',
      message: 'the collector did not answer; check that it is running and reachable',
    });
  }
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** The dashboard API URL for a view. */
export function dashboardUrl(id: string, view: View): string {
  return `/api/dashboard/${encodeURIComponent(id)}?${viewParams(view, 'api')}`;
}

/** The export URL (every row behind the view) in CSV or NDJSON. */
export function exportUrl(id: string, view: View, format: 'csv' | 'ndjson'): string {
  const q = viewParams(view, 'api');
  q.set('format', format);
  return `/api/dashboard/${encodeURIComponent(id)}/export?${q}`;
}

/** Every figure of a view. */
export function fetchDashboard(id: string, view: View, signal?: AbortSignal): Promise<DashboardResponse> {
  return call<DashboardResponse>(dashboardUrl(id, view), { signal });
}

/** Creates an API key (`POST /api/generate`). */
export function generateKey(): Promise<{ api_key: string; dashboard_id: string }> {
  return call('/api/generate', { method: 'POST' });
}

/** The dashboard id of an API key. */
export function dashboardIdOf(apiKey: string): Promise<{ dashboard_id: string }> {
  return call('/api/dashboard-id', { headers: { 'x-auth-token': apiKey.trim() } });
}

/** Deletes a key and all its data. */
export function deleteKey(apiKey: string): Promise<{ deleted: { keys: number; requests: number } }> {
  return call('/api/delete', { method: 'DELETE', headers: { 'x-auth-token': apiKey.trim() } });
}

/** The collector's health line (version and store). */
export function health(): Promise<{ status: string; store: string; version: string }> {
  return call('/api/health');
}
