// The page's first script, ahead of the app's: on a dashboard URL it sends the figures' request
// and starts the page's chunk while the browser is still fetching and compiling the app (Svelte
// and the shell, ~70 kB). It imports only small framework-free modules, so on a first visit the
// request leaves as soon as this file is in, instead of after the whole entry has been compiled.
import { startEarly } from './lib/early-start.js';

performance.mark('apilens:early');
startEarly();
