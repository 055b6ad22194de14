// The floor plan, checked: every import runs down (or sideways within a folder), never up. ARCHITECTURE.md draws it.
//
//   fs → journal → mirror → resync → engine → drives → core/index.ts → app → server | electron
//   contract: beside them all (anyone may import it; it imports no layer). renderer: the contract only.
//
// `import type` counts too: a type from a higher layer is the same dependency, only hidden from the runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const FLOORS = ['core/fs', 'core/journal', 'core/mirror', 'core/resync', 'core/engine', 'core/drives', 'core/index.ts', 'core/app', 'core/server'];
const CONTRACT = 'core/contract';

/** Which floor a file stands on: its index in FLOORS, 'contract', a host ('electron', 'renderer'), or null (outside the plan). */
function floorOf(file: string): number | 'contract' | 'electron' | 'renderer' | null {
  if (file.startsWith(CONTRACT + '/')) return 'contract';
  if (file.startsWith('electron/')) return 'electron';
  if (file.startsWith('renderer/')) return 'renderer';
  const i = FLOORS.findIndex((f) => file === f || file.startsWith(f + '/'));
  return i < 0 ? null : i;
}

/** Why `from` may not import `to`, or null when it may. */
export function layerProblem(from: string, to: string): string | null {
  const a = floorOf(from), b = floorOf(to);
  if (b === 'contract' || a === null || a === b) return null;
  if (a === 'contract') return 'the contract imports no layer';
  if (a === 'renderer') return 'the renderer reaches the core through the contract only';
  if (b === 'renderer') return 'nothing imports the renderer';
  if (b === 'electron') return 'nothing imports the Electron host';
  if (a === 'electron') return b === FLOORS.indexOf('core/server') ? 'one host reaching into the other: move the shared piece below both' : null;
  if (typeof b === 'number' && typeof a === 'number' && b > a) return `${FLOORS[a]} is below ${FLOORS[b]}`;
  return null;
}

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(ROOT, dir), { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'dist') out.push(...(await sources(p))); }
    else if (/\.(ts|svelte)$/.test(e.name) && !/\.test\.(svelte\.)?ts$/.test(e.name)) out.push(p);
  }
  return out;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

test('every import runs down the floor plan: no lower layer imports a higher one, and the hosts stay apart', async () => {
  const files = [...(await sources('core')), ...(await sources('electron')), ...(await sources('renderer/src'))];
  assert.ok(files.length > 100, `found ${files.length} source files`);
  const problems: string[] = [];
  for (const file of files) {
    const text = await readFile(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const target = relative(ROOT, resolve(dirname(join(ROOT, file)), m[1] ?? m[2]!)).split(sep).join('/');
      const why = layerProblem(file, target);
      if (why) problems.push(`${file} imports ${target}: ${why}`);
    }
  }
  assert.deepEqual(problems, []);
});

test('the rule itself: an upward import is caught, a downward one and the contract are not', () => {
  assert.match(layerProblem('core/journal/x.ts', 'core/mirror/member.ts')!, /below/);
  assert.match(layerProblem('core/mirror/x.ts', 'core/resync/resync.ts')!, /below/);
  assert.match(layerProblem('core/drives/eject.ts', 'core/app/engine-eject.ts')!, /below/);
  assert.match(layerProblem('electron/main.ts', 'core/server/demo.ts')!, /hosts?|host/);
  assert.match(layerProblem('renderer/src/App.svelte', 'core/mirror/paths.ts')!, /contract/);
  assert.match(layerProblem('core/contract/types.ts', 'core/mirror/paths.ts')!, /contract/);
  assert.equal(layerProblem('core/server/dav/x.ts', 'core/index.ts'), null);
  assert.equal(layerProblem('core/engine/mirror.ts', 'core/resync/resync.ts'), null);
  assert.equal(layerProblem('core/fs/node-fs.ts', 'core/contract/errors.ts'), null);
  assert.equal(layerProblem('electron/main.ts', 'core/app/demo.ts'), null);
});
