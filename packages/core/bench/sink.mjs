// A collector stand-in for the benchmark, in its own process. Under /upstream it behaves like
// upstream's server (rows only: the compact endpoint is a 404, answers are plain text); at the
// root it reads both formats and answers as an apilens collector, `{"accepted": n}`.
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const upstream = req.url.startsWith('/upstream/');
    const path = upstream ? req.url.slice('/upstream'.length) : req.url;
    if (path !== '/api/log-request' && (upstream || path !== '/api/log-columns')) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
      return;
    }
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    const parsed = JSON.parse(body.toString('utf8'));
    const n = path === '/api/log-columns' ? parsed.count : parsed.requests.length;
    if (upstream) {
      res.writeHead(201, { 'content-type': 'text/plain' });
      res.end('OK');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: n, rejected: [] }));
    }
  });
});
server.listen(0, '127.0.0.1', () => process.send?.(server.address().port));
process.on('disconnect', () => process.exit(0));
