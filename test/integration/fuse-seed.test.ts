// The seed through the FUSE mount: with the fast member gone and a behind write still pending on the write-mostly
// one, `cat` of that path waits for it and prints the new content, never the old (invariant 1); the events the UI's
// banner shows are emitted. And a member that hangs is failed while the mount serves on. Root and /dev/fuse needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createMirror, NodeFs, type EngineMemberSpec } from '../../core/index.ts';
import { davMirror } from '../helpers/dav.ts';
import { FaultyFs } from '../helpers/fs/faulty-fs.ts';
import { tempDir } from '../helpers/tmp.ts';
import { nextEvent, seedRead } from '../helpers/engine.ts';
import { fuseSkipReason, mountInProcess, sh, shOk } from '../helpers/fuse.ts';

const skip = await fuseSkipReason();

test('seed through the mount: cat from the lagging drive waits for the pending write and prints the new version', { timeout: 120_000, skip: skip ?? false }, async (t) => {
  const { m, dir, fastFs, usbFs } = await davMirror(t);
  const mount = await mountInProcess(t, m);
  const file = join(mount.dir, 'report.txt');
  await shOk(`printf 'version 1' > ${file}`);
  await m.drain();

  // The USB drive stops short of landing the next version: its behind write stays pending.
  usbFs.hang((path, op) => op === 'commit' && path.endsWith('report.txt'));
  // cp, not a shell redirection: the shell closes a duplicate first, which commits the emptied file as a write of its own.
  await shOk(`printf 'version 2' > ${dir}/v2 && cp ${dir}/v2 ${file}`); // close returns: acknowledged by the fast member
  const r = await seedRead(m, { fast: fastFs, usb: usbFs }, 'report.txt', () => sh(`cat ${file}`));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'version 2', 'never the old version');
  assert.equal((await shOk(`stat -c %s ${file}`)).trim(), '9');
});

test('a member drive that stops answering fails as usual, and the mount goes on serving from the other', { timeout: 120_000, skip: skip ?? false }, async (t) => {
  const dir = await tempDir(t, 'nasm-fuse-hung-');
  const ssdFs = new FaultyFs(new NodeFs());
  const m = await createMirror({
    memberTimeoutMs: 1_000, watchOutside: false,
    members: [{ path: join(dir, 'ssd'), label: 'SSD', fs: ssdFs } as EngineMemberSpec, { path: join(dir, 'hdd'), label: 'HDD' }],
  });
  t.after(async () => { ssdFs.resume(); await m.stop().catch(() => {}); });
  const mount = await mountInProcess(t, m);
  await shOk(`printf 'before' > ${mount.dir}/a.txt`);
  const ssd = m.status().members.find((x) => x.label === 'SSD')!;
  const failed = nextEvent(m, 'member-state', (e) => e.memberId === ssd.id && e.state === 'faulty');
  ssdFs.hang(); // every call to the SSD waits, neither failing nor finishing
  const r = await sh(`cat ${mount.dir}/a.txt && printf 'after' > ${mount.dir}/b.txt && cat ${mount.dir}/b.txt`);
  await failed;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'beforeafter');
  assert.equal(m.status().members.find((x) => x.label === 'HDD')!.state, 'in_sync');
});
