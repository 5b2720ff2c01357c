import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance } from 'fastify';
import { UnknownKeyError } from './types.js';

/** An error whose message is meant for the client, with its HTTP status. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly headers: Record<string, string> | undefined;
  constructor(statusCode: number, message: string, headers?: Record<string, string>) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.headers = headers;
  }
}

/** Characters of a client's value an error message quotes back. */
export const PREVIEW_CHARS = 60;

/**
 * A value the client sent, as an error message quotes it: a string or the name of a parameter
 * cut to {@link PREVIEW_CHARS} characters (a 1 MB value must not make a 1 MB error), a number as
 * written, a list or an object by its kind only (stringifying one nested 10 000 deep overflows
 * the stack).
 *
 * @example preview('x'.repeat(1e6)) // '"xxx…" (1000000 characters)'
 */
export function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value !== 'string') return String(value);
  if (value.length <= PREVIEW_CHARS) return JSON.stringify(value);
  let cut = value.slice(0, PREVIEW_CHARS);
  // Never half a surrogate pair.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${JSON.stringify(cut)}… (${value.length} characters)`;
}

/** Fastify's own client errors, reworded to say what to fix. */
function reword(err: FastifyError, maxBodyBytes: number): string {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `request body is larger than the limit of ${maxBodyBytes} bytes (checked before and after gzip); send smaller batches or raise --max-body-bytes`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'request body is empty; send a JSON object';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported Content-Type; send application/json';
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'Content-Length does not match the body that was sent';
    default:
      return err.message;
  }
}

/** The 401 for an API key the store does not know (never created, or deleted meanwhile). */
export const UNKNOWN_API_KEY = 'unknown API key; create one with POST /api/generate or `apilens keys create`';

/**
 * JSON errors everywhere: `{ "error": "…" }`. Anything a client can send ends in a 4xx with a
 * message saying what to fix; only a fault of the server itself (a store that is down) is a 5xx.
 * Store failures are mapped here, once: an {@link UnknownKeyError} is a 401, an error marked by
 * {@link storeFailure} (every store method's failure, see `store/guard.ts`) a 503.
 */
export function installErrorHandlers(app: FastifyInstance, maxBodyBytes: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof HttpError) {
      if (error.headers) reply.headers(error.headers);
      return reply.code(error.statusCode).send({ error: error.message });
    }
    if (error instanceof UnknownKeyError) return reply.code(401).send({ error: UNKNOWN_API_KEY });
    if (error.validation) {
      const where = error.validationContext ?? 'request';
      const first = error.validation[0];
      const path = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : '';
      const what = path ? `${where} field "${path}"` : where;
      return reply.code(400).send({ error: `invalid ${what}: ${first?.message ?? error.message}` });
    }
    const status = typeof error.statusCode === 'number' ? error.statusCode : 500;
    if (status >= 400 && status < 500) {
      if (status === 413) reply.header('connection', 'close');
      return reply.code(status).send({ error: reword(error, maxBodyBytes) });
    }
    if ((error as { storeFailure?: boolean }).storeFailure) {
      request.log.error({ err: error }, 'store operation failed');
      return reply.code(503).send({
        error:
          'the collector could not reach its database; nothing was stored, retry later (see GET /api/health)',
      });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'internal error; see the collector log' });
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    reply.code(404).send({
      error: `no endpoint ${request.method} ${path.length > PREVIEW_CHARS ? preview(path) : path}; see the @apilens/server README for the API`,
    });
  });
}

/**
 * Requests Node's HTTP parser rejects before Fastify sees them (bytes after the announced
 * Content-Length, a malformed request line, headers too large, a request too slow to arrive):
 * the same `{ "error": "…" }` shape as every other error, saying what to fix, instead of
 * Fastify's default "Client Error". Passed as Fastify's `clientErrorHandler`.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  let status = '400 Bad Request';
  let message = `malformed HTTP request (${err.code ?? err.message}); check the request line, the headers and that Content-Length matches the body`;
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = '408 Request Timeout';
    message = 'the request took too long to arrive; send it again';
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = '431 Request Header Fields Too Large';
    message = 'the request headers are larger than the collector accepts; send fewer or shorter headers';
  }
  const body = JSON.stringify({ error: message });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** Marks an error as the store's (a 503), not the client's. */
export function storeFailure(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  (e as { storeFailure?: boolean }).storeFailure = true;
  return e;
}
