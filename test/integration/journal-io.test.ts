// Journal cost: group commit in a burst, nothing for paths already marked, nothing on the slow member in steady state;
// and a member's failure is durable in the survivors before the write that skipped it is acknowledged (invariant 18).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, NodeFs, type AppendHandle, type EngineMemberSpec } from '../../core/index.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { tempDir } from '../helpers/tmp.ts';

/** A real filesystem that counts journal fsyncs (appends made durable). */
class CountingFs extends NodeFs {
  syncs = 0;
  override async openAppend(path: string): Promise<AppendHandle> {
    const h = await super.openAppend(path);
    return { ...h, sync: async () => { if (path.endsWith('intent.log')) this.syncs++; return h.sync(); } };
  }
}

test('journal I/O per write: group commit in a burst, none for marked paths, none on the write-mostly member once its bucket is set', async (t) => {
  const dir = await tempDir(t);
  const fast = new CountingFs(), slow = new CountingFs();
  const m = await createMirror({ members: [{ path: join(dir, 'A'), fs: fast } as EngineMemberSpec, { path: join(dir, 'B'), writeMostly: true, fs: slow } as EngineMemberSpec] });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('burst/warm', 'x');
  const [f0, s0] = [fast.syncs, slow.syncs];
  await Promise.all(Array.from({ length: 100 }, (_, i) => m.writeFile(`burst/${i}.txt`, `new ${i}`)));
  const burstFast = fast.syncs - f0, burstSlow = slow.syncs - s0;
  const [f1, s1] = [fast.syncs, slow.syncs];
  await Promise.all(Array.from({ length: 100 }, (_, i) => m.writeFile(`burst/${i}.txt`, `rewrite ${i}`)));
  const rewriteFast = fast.syncs - f1, rewriteSlow = slow.syncs - s1;
  t.diagnostic(`100 concurrent new files: ${burstFast} journal fsyncs on the fast member (${(burstFast / 100).toFixed(2)} per write), ${burstSlow} on the write-mostly one; 100 rewrites: ${rewriteFast} and ${rewriteSlow}`);
  assert.ok(burstFast < 50, `group commit shares fsyncs (${burstFast} for 100 writes)`);
  assert.equal(burstSlow, 0, 'the folder bucket was already set on the write-mostly member');
  assert.equal(rewriteFast, 0, 'paths already marked cost nothing');
  assert.equal(rewriteSlow, 0);
});

test('a member failure is recorded in the survivors\' superblocks before the write that skipped it is acknowledged (invariant 18)', async (t) => {
  const dir = await tempDir(t);
  const A = join(dir, 'A');
  const broken = new FaultyFs(new NodeFs());
  const m = await createMirror({ members: [{ path: A, label: 'A' }, { path: join(dir, 'B'), label: 'B', fs: broken } as EngineMemberSpec] });
  t.after(() => m.stop().catch(() => {}));
  await m.writeFile('ok.txt', 'both have it');
  broken.options.failPath = (p) => p.endsWith('doomed.txt');
  await m.writeFile('doomed.txt', 'only A has it');
  const sb = JSON.parse(await readFile(join(A, '.nas-mirror', 'superblock.json'), 'utf8'));
  assert.equal(sb.members.find((x: { label: string }) => x.label === 'B').state, 'faulty', 'at ack time A already records B as faulty');
  assert.equal(m.status().members[1]!.state, 'faulty');
  assert.match(m.status().members[1]!.error!, /doomed\.txt/);
});
