import { createHash, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** A new API key: a random UUID, the format upstream clients expect. */
export function generateApiKey(): string {
  return randomUUID();
}

/** A new dashboard id: random, unrelated to the key, safe to share. */
export function generateDashboardId(): string {
  return randomUUID().replaceAll('-', '');
}

/** Keys are stored only as their SHA-256: they are random (122 bits), so no salt is needed. */
export function hashApiKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/** Users sometimes paste keys with quotes or spaces around them (upstream strips them too). */
export function normaliseApiKey(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const key = value.replaceAll('"', '').trim();
  return key === '' ? undefined : key;
}

/** The key of a read/delete request: `X-AUTH-TOKEN`, or upstream's legacy `API-Key` header. */
export function headerApiKey(request: FastifyRequest): string | undefined {
  const h = request.headers['x-auth-token'] ?? request.headers['api-key'];
  return normaliseApiKey(Array.isArray(h) ? h[0] : h);
}
