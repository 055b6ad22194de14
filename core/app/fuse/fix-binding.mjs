// postinstall: fixes @cocalc/fuse-native 2.4.3's utimens (as in fuse-native 2.2.6) and rebuilds it. Upstream passes
// the access time twice, so every mtime a program sets through the mount would be its atime (rsync -a, tar x get
// "now"), and it does not declare UTIME_OMIT support, so libfuse 2 silently drops a change of the mtime alone (tar).
// The fix: pass the mtime, let UTIME_NOW be now and UTIME_OMIT a marker (2^52 ms) the mount reads as "keep".
// Nothing to do where the optional package is not installed (no libfuse), or already fixed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let dir;
try {
  dir = dirname(createRequire(import.meta.url).resolve('@cocalc/fuse-native/package.json'));
} catch {
  process.exit(0); // not installed: the mount is unavailable and says so
}
const file = join(dir, 'fuse-native.c');
const MARK = '/* nas-mirror: utimens fixed */';
let c = readFileSync(file, 'utf8');
const built = join(dir, 'build', 'Release', 'fuse.node');
if (c.includes(MARK) && existsSync(built)) process.exit(0);

const edits = [
  // Only utimens turns a timespec into milliseconds with this function.
  ['static uint64_t timespec_to_uint64 (const struct timespec* ts) {',
    `${MARK}
static uint64_t timespec_to_uint64 (const struct timespec* ts) {
  if (ts->tv_nsec == UTIME_OMIT) return ((uint64_t) 1) << 52;
  if (ts->tv_nsec == UTIME_NOW) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return ((uint64_t) now.tv_sec) * 1000 + now.tv_nsec / 1000000;
  }`],
  ['  FUSE_UINT64_TO_INTS_ARGV(l->atime, 3)\n  FUSE_UINT64_TO_INTS_ARGV(l->atime, 5)',
    '  FUSE_UINT64_TO_INTS_ARGV(l->atime, 3)\n  FUSE_UINT64_TO_INTS_ARGV(l->mtime, 5)'],
  ['  if (implemented[op_utimens]) ops.utimens = fuse_native_utimens;',
    '  if (implemented[op_utimens]) ops.utimens = fuse_native_utimens;\n  ops.flag_utime_omit_ok = 1;'],
];
for (const [from, to] of c.includes(MARK) ? [] : edits) {
  if (!c.includes(from)) {
    console.warn(`nas-mirror: @cocalc/fuse-native's source is not as expected (${from.split('\n')[0].trim()}); times set through the mount may be wrong.`);
    process.exit(0);
  }
  c = c.replace(from, to);
}
if (!c.includes('#include <time.h>')) c = c.replace('#include <string.h>', '#include <string.h>\n#include <time.h>');
writeFileSync(file, c);

// npm gives lifecycle scripts its own node-gyp; run by hand, the one npm bundles beside node, or one on PATH.
const gyp = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]
  .find((p) => p && existsSync(p));
const r = gyp
  ? spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: dir, stdio: 'inherit' })
  : spawnSync('node-gyp', ['rebuild'], { cwd: dir, stdio: 'inherit', shell: process.platform === 'win32' });
if (r.status !== 0) {
  // Better no mount than one that sets wrong times without a word: without its build the package does not load.
  rmSync(join(dir, 'build'), { recursive: true, force: true });
  console.warn('nas-mirror: rebuilding @cocalc/fuse-native failed; the mirror cannot be mounted as a folder here.');
}
