import type { NodeRequestLike } from '@apilens/core';

/** The parts of Node's ServerResponse the adapter uses. */
export interface NodeOutgoing {
  statusCode: number;
  writableFinished: boolean;
  on(event: 'finish', listener: () => void): unknown;
}

/** `c.env` under @hono/node-server: the raw Node request (read as core reads any Node request) and response. */
export interface NodeBindings {
  incoming?: NodeRequestLike;
  outgoing?: NodeOutgoing;
}
