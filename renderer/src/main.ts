// Renderer entry: picks the bridge (Electron preload or WebSocket), starts the live state, mounts the app.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { AppState } from './lib/app-state.svelte.ts';
import { selectBridge } from './lib/bridge.ts';

const app = new AppState(selectBridge());
void app.start();
mount(App, { target: document.getElementById('app')!, props: { app } });
