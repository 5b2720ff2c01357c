// Run by pack-smoke.test.ts in the installed project: an Express app with @apilens/express,
// reporting to the collector started from the installed @apilens/server's `apilens` command.
import { expressAnalytics } from '@apilens/express';
import express from 'express';

const analytics = expressAnalytics(process.env.APILENS_API_KEY, {
  serverUrl: process.env.APILENS_SERVER_URL,
  onError: (err) => console.error(`apilens: ${err.message}`),
});
const app = express();
app.use(analytics);
app.get('/users/:id', (req, res) => {
  res.json({ id: req.params.id });
});
app.get('/boom', () => {
  throw new Error('boom');
});

const server = app.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
// What the README tells users to do on SIGTERM.
process.on('SIGTERM', () => {
  server.close();
  analytics.shutdown(5000).finally(() => process.exit(0));
});
