import type { FastifyPluginAsync } from 'fastify';
import { DEFAULTS } from '../../options.js';
import { definePlugin } from '../../plugins/define.js';
import { buildRowQuery } from '../../store/sql.js';
import { parseDataQuery } from './query.js';
import { type ExportSlots, STREAM_CHUNK, sendRows, sendText, TEXT_CHUNK } from './stream.js';
import { isTextFormat, textChunkSql, toTextChunk } from './text-sql.js';
import { WRITERS } from './writers.js';

/** Options of the data API route. */
export interface DataOptions {
  /** Whole exports streaming per key at once, shared with the dashboard export. */
  exports: ExportSlots;
}

/** GET /api/data: parse the query once, read in keyset chunks, stream them through the format's writer. */
const dataRoutes: FastifyPluginAsync<DataOptions> = async (app, o) => {
  const auth = app.apilensAuth;
  const pageSize = DEFAULTS.pageSize;

  app.get('/api/data', {
    handler: async (request, reply) => {
      const apiKey = auth.apiKey(request, 'header');
      const q = parseDataQuery(request.query as Record<string, unknown>);
      const key = await auth.authenticate(request, apiKey, 'data');
      await auth.touch(key.id);
      const store = app.apilens.store;
      const writer = WRITERS[q.format];

      // JSON is one page (default 1), as upstream; CSV and NDJSON are every matching row unless a
      // page is asked for.
      const paged = writer.paged || q.page !== undefined;
      const limit = paged ? pageSize : Number.POSITIVE_INFINITY;
      const skip = paged ? ((q.page ?? 1) - 1) * pageSize : 0;
      if (!paged) o.exports.take(key.id, reply);
      const select = store.select?.bind(store);
      if (!paged && select && isTextFormat(q.format)) {
        // The database writes the text (text-sql.ts); the event loop only passes it on.
        const format = q.format;
        return sendText(request, reply, writer, async (after) => {
          const { sql, params } = buildRowQuery(key.id, {
            ...q.filter,
            limit: TEXT_CHUNK,
            ...(after ? { after } : {}),
          });
          const rows = await o.exports.read(store.kind, () =>
            select(textChunkSql(store.kind, format, sql), params, { background: true }),
          );
          return toTextChunk(rows);
        });
      }
      return sendRows(request, reply, writer, limit, (sent, after) =>
        store.queryRequests(key.id, {
          ...q.filter,
          limit: Math.min(STREAM_CHUNK, limit - sent),
          ...(after ? { after } : { offset: skip }),
        }),
      );
    },
  });
};

export default definePlugin(dataRoutes, { name: 'apilens-data', uses: ['apilens', 'apilensAuth'] });
