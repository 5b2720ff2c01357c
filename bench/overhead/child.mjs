// Runs one bench app (packages/<name>/bench/app.mjs) in its own process for run.mjs:
// reports { port } over IPC once listening; answers 'cpu' with process.cpuUsage()
// (CPU time per request is steadier than throughput on a shared machine) and 'mem' with
// process.memoryUsage() (after a full GC when run with --expose-gc); closes the app and
// exits on 'close'.
import { pathToFileURL } from 'node:url';

const [appPath, variant, serverUrl] = process.argv.slice(2);
const { default: start } = await import(pathToFileURL(appPath).href);
const app = await start({
  variant,
  // The contract before variants existed: apps of older checkouts (BENCH_BASE) read this.
  instrumented: variant !== 'bare' && variant !== 'noop',
  apiKey: 'bench-overhead-key',
  serverUrl,
});
process.send({ port: app.port });
process.on('message', async (message) => {
  if (message === 'cpu') {
    process.send({ cpu: process.cpuUsage() });
    return;
  }
  if (message === 'mem') {
    globalThis.gc?.();
    process.send({ mem: process.memoryUsage() });
    return;
  }
  if (message !== 'close') return;
  await app.close();
  process.send({ closed: true }, () => process.exit(0));
});
