// A collector stand-in for the benchmark, in its own process: reads each body and answers 200.
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  let n = 0;
  req.on('data', (c) => {
    n += c.length;
  });
  req.on('end', () => {
    // Plain text, as upstream servers answer: the SDK counts the whole batch as accepted.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`received ${n} bytes`);
  });
});
server.listen(0, '127.0.0.1', () => process.send?.(server.address().port));
process.on('disconnect', () => process.exit(0));
