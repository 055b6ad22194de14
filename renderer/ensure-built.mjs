// Builds the renderer once if dist/renderer is missing, so `serve` and `demo` work on a fresh clone.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

if (!existsSync('dist/renderer/index.html')) execSync('npm run -s build:renderer', { stdio: 'inherit' });
