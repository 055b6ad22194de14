// Builds the Svelte renderer into dist/renderer (served by `serve`, loaded by Electron from file://).
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import { APP_CSP_META } from '../core/app/csp.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
export default defineConfig({
  root,
  base: './',
  plugins: [
    svelte({ configFile: fileURLToPath(new URL('./svelte.config.js', import.meta.url)) }),
    // One policy: the meta tag Electron's file:// page needs is the headers' policy, less what only a header may say.
    { name: 'app-csp', transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: APP_CSP_META }, injectTo: 'head-prepend' }] },
  ],
  build: { outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)), emptyOutDir: true },
});
