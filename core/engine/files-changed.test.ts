// Every acknowledged change says which paths it touched, so a second view of the files can refresh (issue 15, item 6).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createMirror } from '../index.ts';
import type { MirrorEvent } from '../contract/types.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

test('write, new folder, rename and delete each emit files-changed with their paths once acknowledged', async (t) => {
  const dir = await tempDir(t);
  const m = await createMirror({ members: [{ path: join(dir, 'a'), label: 'SSD' }, { path: join(dir, 'b'), label: 'USB', writeMostly: true }] });
  t.after(() => m.stop().catch(() => {}));
  const seen: string[][] = [];
  m.onEvent((e: MirrorEvent) => { if (e.type === 'files-changed') seen.push(e.paths); });

  await m.mkdir('docs');
  assert.deepEqual(seen.at(-1), ['docs'], 'emitted by the time mkdir resolves');
  await m.writeFile('docs/a.txt', 'hello');
  assert.deepEqual(seen.at(-1), ['docs/a.txt']);
  await m.rename('docs/a.txt', 'docs/b.txt');
  assert.deepEqual(seen.at(-1), ['docs/a.txt', 'docs/b.txt']);
  await m.remove('docs/b.txt');
  assert.deepEqual(seen.at(-1), ['docs/b.txt']);
  await m.writeFile('big.bin', (async function* () { for (let i = 0; i < 40; i++) yield new Uint8Array(1 << 20); })());
  assert.deepEqual(seen.at(-1), ['big.bin'], 'a streamed write too');

  const before = seen.length;
  await assert.rejects(m.rename('missing.txt', 'x.txt'));
  assert.equal(seen.length, before, 'a refused operation changed nothing');
});
