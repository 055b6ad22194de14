// electron-builder with a stand-in Electron folder (no binary can be downloaded here): the packaged app's archive
// must hold the bundled main, the preload and the built renderer — and no node_modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.ts';

/** Lists an asar archive: with @electron/asar (electron-builder brings it), else from its JSON header. */
async function listAsar(file: string): Promise<string[]> {
  try {
    const asar = createRequire(import.meta.url)('@electron/asar') as { listPackage(p: string, o: object): string[] };
    return asar.listPackage(file, { isPack: false }).map((p) => p.replaceAll('\\', '/').replace(/^\//, ''));
  } catch {
    // Pickle layout: [4: size of size pickle][4: header size][4: pickle payload size][4: json length][json]
    const buf = await readFile(file);
    const json = JSON.parse(buf.subarray(16, 16 + buf.readUInt32LE(12)).toString('utf8')) as { files: Record<string, object> };
    const out: string[] = [];
    const walk = (files: Record<string, { files?: Record<string, object> }>, prefix: string) => {
      for (const [name, entry] of Object.entries(files)) {
        out.push(prefix + name);
        if (entry.files) walk(entry.files as Record<string, { files?: Record<string, object> }>, `${prefix}${name}/`);
      }
    };
    walk(json.files as Record<string, { files?: Record<string, object> }>, '');
    return out;
  }
}

test('electron-builder --dir packs main, preload and the renderer into app.asar', { timeout: 180_000 }, async (t) => {
  const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  run(process.execPath, ['renderer/ensure-built.mjs']);
  run(process.execPath, ['electron/bundle.mjs']);
  const electronDist = await tempDir(t, 'nasm-electron-');
  const out = await tempDir(t, 'nasm-pack-');
  await writeFile(join(electronDist, 'electron'), '#!/bin/sh\necho "stand-in Electron"\n');
  await chmod(join(electronDist, 'electron'), 0o755);
  run('npx', ['electron-builder', '--linux', 'dir', `-c.electronDist=${electronDist}`, `-c.directories.output=${out}`]);

  const resources = join(out, 'linux-unpacked', 'resources');
  assert.ok(existsSync(join(out, 'linux-unpacked', 'nas-mirror')), 'the app executable is named after the package');
  const files = await listAsar(join(resources, 'app.asar'));
  for (const f of ['package.json', 'dist/electron/main.cjs', 'dist/electron/preload.cjs', 'dist/electron/icon.png', 'dist/renderer/index.html']) {
    assert.ok(files.includes(f), `${f} is in app.asar (has: ${files.slice(0, 20).join(', ')})`);
  }
  assert.ok(!files.some((f) => f.startsWith('node_modules')), 'main is bundled: no node_modules in the archive');
  assert.ok(!files.some((f) => f.endsWith('.map')), 'no source maps shipped');
  const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { main: string };
  assert.equal(pkg.main, 'dist/electron/main.cjs', 'package.json main points at the bundled main');
});
