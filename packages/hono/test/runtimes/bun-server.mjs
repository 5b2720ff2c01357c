// Run by runtimes.test.ts with the bun binary: the app served by Bun.serve.
import { createApp, serverAnalytics } from './app.mjs';

let server;
const app = createApp(serverAnalytics(), () => server.stop(true));
server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
console.log(`listening on ${server.port}`);
