// Adoption that will be killed with SIGKILL: creates (or, given "open", reopens) a mirror whose first folder receives
// the second's files through a throttled drive, and prints each resync-progress as a JSON line for the parent.
import { join } from 'node:path';
import { createMirror, assembleMirror } from '../../core/index.ts';

const [dir, how] = process.argv.slice(2);
const members = [{ path: join(dir!, 'A'), throttle: { latencyMs: 2 } }, { path: join(dir!, 'B') }];
const m = how === 'open' ? await assembleMirror({ members }) : await createMirror({ members });
m.onEvent((e) => {
  if (e.type === 'resync-progress') process.stdout.write(JSON.stringify({ done: e.donePaths, total: e.totalPaths }) + '\n');
});
process.stdout.write(JSON.stringify({ open: true }) + '\n');
await m.drain();
process.stdout.write(JSON.stringify({ drained: true }) + '\n');
await m.stop();
