import { mount } from 'svelte';
import './app.css';
import App from './app.svelte';
import { startEarly } from './lib/early-start.js';
import { startRouter } from './lib/router.svelte.js';

// Before the first render: a dashboard URL's chunk and figures load while the app mounts.
startEarly();
startRouter();
mount(App, { target: document.getElementById('app')! });
