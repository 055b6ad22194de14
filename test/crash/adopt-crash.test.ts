// Adoption survives a crash: a child adopting 2,000 files is killed with SIGKILL mid-way; reopened, the full resync
// resumes from its checkpoint (resync/resume-log.ts) — what was copied and checkpointed is not copied again — and
// every file ends on both members.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { assembleMirror } from '../../core/index.ts';
import { tempDir } from '../helpers/tmp.ts';
import { treeOf } from '../helpers/engine.ts';

const FILES = 2000;

/** Runs the child and kills it once `killAt` paths are done; resolves with the last progress it printed. */
async function adoptAndKill(dir: string, killAt: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'adopt-child.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const safety = setTimeout(() => child.kill('SIGKILL'), 120_000);
  let done = 0;
  for await (const line of createInterface({ input: child.stdout! })) {
    let msg: { done?: number; drained?: boolean };
    try { msg = JSON.parse(line); } catch { continue; }
    if (msg.drained) throw new Error('the adoption finished before the kill; make it slower');
    if (msg.done !== undefined) done = msg.done;
    if (done >= killAt) { child.kill('SIGKILL'); break; }
  }
  await exited;
  clearTimeout(safety);
  return done;
}

/** The paths a resume log holds (the engine's record-log format: '+"path"\tvalue'). */
async function checkpointed(root: string): Promise<string[]> {
  const text = await readFile(join(root, '.nas-mirror', 'resync-done.log'), 'utf8').catch(() => '');
  const live = new Set<string>();
  for (const line of text.split('\n')) {
    if (line.startsWith('+')) live.add(JSON.parse(line.slice(1, line.lastIndexOf('\t'))));
    if (line.startsWith('-')) live.delete(JSON.parse(line.slice(1)));
  }
  return [...live];
}

test(`adoption of ${FILES} files killed with SIGKILL mid-way resumes on open without copying again what is there`, async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A'), B = join(dir, 'B');
  await mkdir(A);
  for (let d = 0; d < 40; d++) {
    await mkdir(join(B, `album-${d}`), { recursive: true });
    for (let i = 0; i < FILES / 40; i++) await writeFile(join(B, `album-${d}`, `photo-${i}.jpg`), `album ${d} photo ${i} `.repeat(20));
  }
  const doneAtKill = await adoptAndKill(dir, FILES / 2);
  const logged = await checkpointed(A);
  t.diagnostic(`killed at ${doneAtKill} of ${FILES + 40} paths; ${logged.length} copies checkpointed`);
  assert.ok(logged.length > 0, 'some copies were checkpointed before the kill');
  const inodes = new Map(await Promise.all(logged.map(async (p) => [p, (await stat(join(A, p))).ino] as const)));

  const m = await assembleMirror({ members: [{ path: A }, { path: B }] });
  t.after(() => m.stop().catch(() => {}));
  assert.equal(m.status().members[0]!.state, 'resyncing', 'the adoption goes on after the restart');
  await m.drain();
  assert.deepEqual(m.status().members.map((x) => x.state), ['in_sync', 'in_sync']);
  const [a, b] = [await treeOf(A), await treeOf(B)];
  assert.equal([...b.keys()].filter((p) => !p.endsWith('/')).length, FILES);
  assert.deepEqual(a, b, 'every file is on both members');
  let kept = 0;
  for (const [p, ino] of inodes) if ((await stat(join(A, p))).ino === ino) kept++;
  t.diagnostic(`${kept} of ${inodes.size} checkpointed copies kept, ${FILES - kept} copied after the restart`);
  assert.equal(kept, inodes.size, 'no checkpointed copy was made again');
  assert.equal((await m.scrub()).mismatches, 0);
});
