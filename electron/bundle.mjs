// Bundles the Electron main process and the sandboxed preload into CommonJS files under dist/electron, with the
// tray icon beside them. A sandboxed preload cannot require() our modules, so it must be one self-contained file;
// main is bundled too, so the packaged app needs no node_modules at all.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';

const common = { bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: true, external: ['electron'] };
await build({ ...common, entryPoints: ['electron/main.ts'], outfile: 'dist/electron/main.cjs' });
await build({ ...common, entryPoints: ['electron/preload.ts'], outfile: 'dist/electron/preload.cjs' });
mkdirSync('dist/electron', { recursive: true });
copyFileSync('build/icon.png', 'dist/electron/icon.png');
console.log('built dist/electron/main.cjs and dist/electron/preload.cjs');
