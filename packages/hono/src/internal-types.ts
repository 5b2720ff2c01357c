/** The parts of Node's IncomingMessage the adapter reads (a type, so nothing Node-only is imported). */
export interface NodeIncoming {
  headers: Record<string, string | string[] | undefined>;
  socket?: { remoteAddress?: string } | null;
}

/** The parts of Node's ServerResponse the adapter uses. */
export interface NodeOutgoing {
  statusCode: number;
  writableFinished: boolean;
  on(event: 'finish', listener: () => void): unknown;
}

/** `c.env` under @hono/node-server: the raw Node request and response. */
export interface NodeBindings {
  incoming?: NodeIncoming;
  outgoing?: NodeOutgoing;
}
