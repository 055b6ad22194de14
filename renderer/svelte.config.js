// Svelte compiler options shared by vite, vitest and svelte-check.
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
export default { preprocess: vitePreprocess() };
