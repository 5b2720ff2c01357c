import { mount } from 'svelte';
import './app.css';
import App from './app.svelte';
import { startRouter } from './lib/router.svelte.js';

// The dashboard's figures and chunk were started by src/early.ts, the page's first script.
startRouter();
mount(App, { target: document.getElementById('app')! });
