// `npm run bench`: parses the options, runs the bench, and undoes loop mounts even on Ctrl-C.
import { runBench } from './bench.ts';
import { parseOptions } from './options.ts';

const opts = parseOptions(process.argv.slice(2));
let cleanup: (() => Promise<void>) | undefined;
process.on('SIGINT', () => {
  console.error('\ninterrupted: cleaning up the bench drives…');
  void (cleanup?.() ?? Promise.resolve()).finally(() => process.exit(130));
});
try {
  await runBench(opts, { onCleanup: (fn) => (cleanup = fn) });
  process.exit(0);
} catch (e) {
  console.error(e);
  process.exit(1);
}
