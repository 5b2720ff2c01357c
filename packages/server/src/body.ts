import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip, createInflate } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

/** Counts bytes and fails with a 413 as soon as there are more than `limit`. */
class Limit extends Transform {
  private seen = 0;
  /** Bytes as sent: Fastify compares Content-Length with this when a preParsing hook decodes. */
  receivedEncodedLength = 0;
  constructor(
    private readonly limit: number,
    private readonly what: string,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) {
      done(
        new HttpError(
          413,
          `request body is larger than the limit of ${this.limit} bytes ${this.what}; send smaller batches or raise --max-body-bytes`,
        ),
      );
      return;
    }
    done(null, chunk);
  }
}

/** Deepest nesting of lists and objects a body may have; the wire format needs 3. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text nests lists and objects deeper than `max`, read without parsing it:
 * `JSON.parse` spends about 3 µs per level (a 1 MB body of `[` blocked the event loop for 3 s
 * and took 200 MB), so depth is checked first. Strings are skipped with `indexOf`, which keeps
 * the scan at a fraction of the parse.
 */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // The closing quote: the next one not escaped by an odd run of backslashes.
      let j = text.indexOf('"', i + 1);
      for (;;) {
        if (j < 0) return false; // unterminated: JSON.parse will say so
        let b = j - 1;
        while (text.charCodeAt(b) === 92) b--;
        if ((j - 1 - b) % 2 === 0) break;
        j = text.indexOf('"', j + 1);
      }
      i = j;
    } else if (c === 91 || c === 123) {
      if (++depth > max) return true;
    } else if (c === 93 || c === 125) depth--;
  }
  return false;
}

/**
 * Request bodies: JSON, plain or `Content-Encoding: gzip` (or deflate). Decompression is
 * capped at the body limit, so a gzip bomb is a 413 after at most `maxBodyBytes` of output;
 * bad gzip is a 400; JSON nested deeper than {@link MAX_JSON_DEPTH} is a 400; an empty body reaches the handler as `undefined`.
 */
export function installBodyParsing(app: FastifyInstance, maxBodyBytes: number): void {
  app.addHook('preParsing', async (request, _reply, payload) => {
    const header = request.headers['content-encoding'];
    const encoding = (Array.isArray(header) ? header.join(',') : (header ?? '')).trim().toLowerCase();
    if (encoding === '' || encoding === 'identity') return payload;
    let inflate: Transform;
    if (encoding === 'gzip' || encoding === 'x-gzip') inflate = createGunzip();
    else if (encoding === 'deflate') inflate = createInflate();
    else {
      throw new HttpError(
        415,
        `unsupported Content-Encoding "${encoding}"; send gzip, deflate or an uncompressed body`,
      );
    }
    const compressedLimit = new Limit(maxBodyBytes, 'before decompression');
    const output = new Limit(maxBodyBytes, 'after decompression');
    const fail = (err: Error) => {
      payload.unpipe(compressedLimit);
      compressedLimit.unpipe(inflate);
      inflate.unpipe(output);
      output.destroy(err);
      inflate.destroy();
    };
    compressedLimit.on('error', fail);
    inflate.on('error', (err) =>
      fail(
        new HttpError(
          400,
          `request body is not valid ${encoding} data (${err.message}); compress the whole JSON body`,
        ),
      ),
    );
    payload.on('data', (chunk: Buffer) => {
      output.receivedEncodedLength += chunk.length;
    });
    payload.pipe(compressedLimit).pipe(inflate);
    inflate.pipe(output);
    return output;
  });

  const parse = (_req: unknown, body: string, done: (err: Error | null, value?: unknown) => void) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      done(
        new HttpError(
          400,
          `request body nests lists or objects more than ${MAX_JSON_DEPTH} levels deep; send the wire format, whose rows are flat objects`,
        ),
      );
      return;
    }
    try {
      done(null, JSON.parse(body));
    } catch (err) {
      done(
        new HttpError(400, `request body is not valid JSON (${(err as Error).message}); send a JSON object`),
      );
    }
  };
  // Every content type is read as JSON: clients (and `curl -d`) do not always label it.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parse);
  app.addContentTypeParser('*', { parseAs: 'string' }, parse);
}
