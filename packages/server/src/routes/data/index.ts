import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { StoredRow } from '../../columns.js';
import { DEFAULTS } from '../../options.js';
import { definePlugin } from '../../plugins/define.js';
import type { RowQuery } from '../../types.js';
import { parseDataQuery } from './query.js';
import { WRITERS } from './writers.js';

/** Rows fetched per keyset step of a streamed export: bounds memory whatever the export size. */
const STREAM_CHUNK = 1000;

/** GET /api/data: parse the query once, read in keyset chunks, stream them through the format's writer. */
const dataRoutes: FastifyPluginAsync = async (app) => {
  const auth = app.apilensAuth;
  const pageSize = DEFAULTS.pageSize;

  app.get('/api/data', {
    config: { rateLimit: auth.rateLimit('header') },
    handler: async (request, reply) => {
      const apiKey = auth.apiKey(request, 'header');
      const q = parseDataQuery(request.query as Record<string, unknown>);
      const key = await auth.authenticate(apiKey);
      await auth.touch(key.id);
      const store = app.apilens.store;
      const writer = WRITERS[q.format];

      // Every format streams in keyset chunks of STREAM_CHUNK rows: memory stays flat and
      // each chunk's garbage dies young (a 50 000-row page built whole spent 40% of its time in
      // GC). JSON is one page (default 1), as upstream; CSV and NDJSON are every matching row
      // unless a page is asked for.
      const paged = writer.paged || q.page !== undefined;
      const limit = paged ? pageSize : Number.POSITIVE_INFINITY;
      const skip = paged ? ((q.page ?? 1) - 1) * pageSize : 0;
      const fetch = (sent: number, after?: RowQuery['after']) =>
        store.queryRequests(key.id, {
          ...q.filter,
          limit: Math.min(STREAM_CHUNK, limit - sent),
          ...(after ? { after } : { offset: skip }),
        });
      // The first chunk is read before answering, so a database failure is still a clean 503.
      const firstRows = await fetch(0);

      async function* chunks() {
        let rows: StoredRow[] = firstRows;
        let sent = 0;
        let text = writer.head;
        while (rows.length > 0) {
          for (let i = 0; i < rows.length; i++) {
            text += (sent + i > 0 ? writer.separator : '') + writer.row(rows[i]!);
          }
          yield text;
          text = '';
          sent += rows.length;
          if (sent >= limit || rows.length < STREAM_CHUNK) break;
          const last = rows[rows.length - 1]!;
          rows = await fetch(sent, { createdAt: last.created_at, id: last.id });
        }
        text += writer.tail;
        if (text) yield text;
      }
      // highWaterMark 1: read the next chunk only when the socket has taken the previous one.
      const stream = Readable.from(chunks(), { highWaterMark: 1 });
      stream.on('error', (err) => request.log.error({ err }, 'data export failed mid-stream'));
      reply.header('content-type', writer.contentType);
      reply.headers(writer.headers);
      return reply.send(stream);
    },
  });
};

export default definePlugin(dataRoutes, { name: 'apilens-data', uses: ['apilens', 'apilensAuth'] });
