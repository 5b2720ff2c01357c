// Run by runtimes.test.ts with the deno binary: the app served by Deno.serve.
import { createApp, serverAnalytics } from './app.mjs';

let server;
const app = createApp(serverAnalytics(), () => server.shutdown());
server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, app.fetch);
console.log(`listening on ${server.addr.port}`);
