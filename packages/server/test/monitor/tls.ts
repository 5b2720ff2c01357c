import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { tempDir } from '../helpers.js';

/** A throwaway CA and a certificate it signed for `hostname`, made with the openssl command. */
export function makeCertificates(hostname: string): { ca: string; key: string; cert: string } {
  const tmp = tempDir();
  const file = (name: string) => join(tmp.dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  try {
    openssl(
      'req',
      '-x509',
      ...ec,
      '-keyout',
      file('ca.key'),
      '-out',
      file('ca.crt'),
      '-days',
      '2',
      '-subj',
      '/CN=apilens test CA',
    );
    openssl('req', ...ec, '-keyout', file('leaf.key'), '-out', file('leaf.csr'), '-subj', `/CN=${hostname}`);
    writeFileSync(file('ext'), `subjectAltName=DNS:${hostname}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      file('leaf.csr'),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file('leaf.crt'),
      '-days',
      '2',
      '-extfile',
      file('ext'),
    );
    return {
      ca: readFileSync(file('ca.crt'), 'utf8'),
      key: readFileSync(file('leaf.key'), 'utf8'),
      cert: readFileSync(file('leaf.crt'), 'utf8'),
    };
  } finally {
    tmp.remove();
  }
}

/** An HTTPS server on 127.0.0.1 answering 200 with the given certificate. */
export async function startTlsTarget(
  key: string,
  cert: string,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer({ key, cert }, (_req, res) => {
    res.writeHead(200);
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
