// Runs one bench app (packages/<name>/bench/app.mjs) in its own process for run.mjs:
// reports { port } over IPC once listening; answers 'cpu' with process.cpuUsage()
// (CPU time per request is steadier than throughput on a shared machine) and 'mem' with
// process.memoryUsage() (after a full GC when run with --expose-gc); closes the app and
// exits on 'close'.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { pathToFileURL } from 'node:url';

const [appPath, variant, serverUrl, profilePath] = process.argv.slice(2);
const { default: start } = await import(pathToFileURL(appPath).href);
const app = await start({
  variant,
  // The contract before variants existed: apps of older checkouts (BENCH_BASE) read this.
  instrumented: variant !== 'bare' && variant !== 'noop',
  // One key per variant: the sink counts what each delivered, also when several run at once.
  apiKey: process.env.BENCH_KEY ?? 'bench-overhead-key',
  serverUrl,
});
process.send({ port: app.port });
// With a profile path: a V8 CPU profile of the measured window only (between the two 'cpu'
// questions), without start-up and warm-up.
let session;
process.on('message', async (message) => {
  if (message === 'cpu') {
    const cpu = process.cpuUsage();
    if (profilePath && session === undefined) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 100 });
      await session.post('Profiler.start');
    } else if (profilePath && session !== null) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(profilePath, JSON.stringify(profile));
      // One window only: later 'cpu' questions (further rounds) find the profiler stopped.
      session.disconnect();
      session = null;
    }
    process.send({ cpu });
    return;
  }
  // The A/B phase: switch apilens on or off ({ active }) or the control on ({ active: false,
  // controlUs }), deliver what it holds ('flush').
  if (typeof message?.active === 'boolean') {
    app.toggle.set(message.active, message.controlUs ?? 0);
    process.send({ switched: message.active });
    return;
  }
  if (message === 'flush') {
    await app.toggle.flush();
    process.send({ flushed: true });
    return;
  }
  if (message === 'pid') {
    process.send({ pid: process.pid });
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
