// Run by runtimes.test.ts with deno and no --allow-env: what a user who forgot it sees.
import { honoAnalytics } from '@apilens/hono';

try {
  honoAnalytics('a-key');
  console.log('created');
} catch (err) {
  console.log(`${err.name}: ${err.message}`);
}
