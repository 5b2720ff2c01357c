import type { Server } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';

/**
 * Closes a client address's connections beyond `max` as soon as they open (`0`: no cap). Timeouts
 * end stalled requests, but within them one address could still open every file descriptor the
 * process has (232 half-sent requests refused every other client at a limit of 256).
 */
export function capConnectionsPerAddress(server: Server, max: number, log: FastifyBaseLogger): void {
  if (max === 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? '';
    const n = (open.get(address) ?? 0) + 1;
    if (n > max) {
      log.debug({ address }, `more than ${max} connections from one address: closing the new one`);
      socket.destroy();
      return;
    }
    open.set(address, n);
    socket.once('close', () => {
      const left = open.get(address)! - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
  });
}
