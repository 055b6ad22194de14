// `serve --smb`: Samba exporting the mirror's FUSE mount, driven with smbclient on a loopback port (mount -t cifs is
// not available in every kernel): put/get/mkdir/rename/del, a 100 MiB round trip byte-equal, a wrong password
// refused, a name the exFAT member cannot hold refused with an error. Root, /dev/fuse and Samba needed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMirror } from '../../core/index.ts';
import { defaultConfig, saveConfig } from '../../core/app/config-store.ts';
import { fuseSkipReason, forceUnmount, sh, shOk, startMountServe, type MountServe } from '../helpers/fuse.ts';
import { installed } from '../helpers/dav.ts';
import { loopLab, loopUnsupported, type LoopLab } from '../helpers/loop.ts';

const skip = (await fuseSkipReason()) ?? (!installed('smbd') || !installed('smbclient') ? 'needs Samba and smbclient: apt-get install -y samba smbclient' : null)
  ?? (await loopUnsupported({ exfat: true }));

const PASSWORD = 'smb test password';
let dir = '';
let serve: MountServe | undefined;
let port = 0;
let members: string[] = [];
let share = '';
const hooks = { list: [] as (() => Promise<void> | void)[], after(fn: () => Promise<void> | void) { this.list.push(fn); } };

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return p;
}

/** smbclient against the share, one command string; the exit code and output. */
const smb = (commands: string, user = `nas%${PASSWORD}`) => sh(`smbclient -p ${port} '//127.0.0.1/${share}' -U '${user}' -c '${commands}'`, { timeoutMs: 300_000 });

before(async () => {
  if (skip) return;
  dir = await mkdtemp(join(tmpdir(), 'nasm-smb-'));
  // An SSD folder and a write-mostly exFAT USB drive (a loop image): names exFAT refuses are refused by the mirror.
  const lab: LoopLab = await loopLab(hooks);
  const usb = await lab.mountExfatImage('usb', { sizeMiB: 512 });
  members = [join(dir, 'ssd'), join(usb.mountPoint, 'mirror')];
  const specs = [{ path: members[0]!, label: 'SSD' }, { path: members[1]!, label: 'USB', writeMostly: true }];
  const m = await createMirror({ members: specs, label: 'Family Photos' });
  await m.stop();
  const config = join(dir, 'config');
  await saveConfig(config, { ...defaultConfig(), mirrors: [{ id: m.id, label: 'Family Photos', members: specs, autoAssemble: true }], activeMirrorId: m.id });
  port = await freePort();
  const mnt = join(config, 'mount');
  serve = await startMountServe(hooks, ['--config', config, '--port', '0', '--smb', '--smb-port', String(port), '--password', PASSWORD], mnt,
    { ready: [/^NAS Mirror at /, /^Mounted at /, /^SMB share /] });
  const line = serve.lines.find((l) => l.startsWith('SMB share '))!;
  const parsed = /^SMB share \\\\127\.0\.0\.1\\(\S+) on port (\d+)$/.exec(line);
  assert.ok(parsed, line);
  share = parsed[1]!;
  assert.equal(Number(parsed[2]), port);
  hooks.after(() => forceUnmount(mnt));
});

after(async () => {
  for (const fn of hooks.list.reverse()) await fn();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('the share is named after the mirror and needs the password: a wrong one is refused', { skip: skip ?? false }, async () => {
  assert.equal(share, 'Family-Photos');
  const wrong = await smb('ls', 'nas%not the password');
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stdout + wrong.stderr, /NT_STATUS_LOGON_FAILURE/);
  const anonymous = await sh(`smbclient -p ${port} '//127.0.0.1/${share}' -N -c ls`);
  assert.notEqual(anonymous.code, 0, 'no guest access');
});

test('put, get, mkdir, rename, del through SMB land in the mirror', { timeout: 300_000, skip: skip ?? false }, async () => {
  await writeFile(join(dir, 'hello.txt'), 'hello over SMB\n');
  await shOk(`true`);
  const r = await smb(`mkdir docs; put ${dir}/hello.txt docs/hello.txt; rename docs/hello.txt docs/renamed.txt; get docs/renamed.txt ${dir}/back.txt; put ${dir}/hello.txt docs/gone.txt; del docs/gone.txt; ls docs/*`);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(await readFile(join(dir, 'back.txt'), 'utf8'), 'hello over SMB\n');
  assert.match(r.stdout, /renamed\.txt/);
  assert.doesNotMatch(r.stdout, /gone\.txt|hello\.txt +A/);
  // The engine wrote it: plain files on the fast member (and, once flushed, on the USB drive).
  assert.equal(await readFile(join(members[0]!, 'docs', 'renamed.txt'), 'utf8'), 'hello over SMB\n');
  await assert.rejects(readFile(join(members[0]!, 'docs', 'gone.txt')));
});

test('a 100 MiB file makes the round trip byte-equal', { timeout: 900_000, skip: skip ?? false }, async () => {
  await shOk(`head -c ${100 << 20} /dev/urandom > ${dir}/big.bin`);
  const t0 = performance.now();
  const put = await smb(`put ${dir}/big.bin big.bin`);
  const t1 = performance.now();
  assert.equal(put.code, 0, put.stdout + put.stderr);
  const get = await smb(`get big.bin ${dir}/big-back.bin`);
  const t2 = performance.now();
  assert.equal(get.code, 0, get.stdout + get.stderr);
  console.log(`SMB 100 MiB: put ${(100 / ((t1 - t0) / 1000)).toFixed(0)} MiB/s, get ${(100 / ((t2 - t1) / 1000)).toFixed(0)} MiB/s`);
  await shOk(`cmp ${dir}/big.bin ${dir}/big-back.bin && cmp ${dir}/big.bin ${members[0]}/big.bin`);
});

test('a name the exFAT member cannot hold is refused with an error, and the share goes on', { timeout: 300_000, skip: skip ?? false }, async () => {
  await writeFile(join(dir, 'x.txt'), 'x');
  for (const bad of ['CON', 'trailing.', 'trailing ']) {
    const r = await smb(`put ${dir}/x.txt "${bad}"`);
    assert.match(r.stdout + r.stderr, /NT_STATUS_\w+/, `${JSON.stringify(bad)}: ${r.stdout}${r.stderr}`);
  }
  const ls = await smb('ls');
  assert.equal(ls.code, 0, 'the share still answers');
  assert.doesNotMatch(ls.stdout, /\bCON\b|trailing/);
});

test('stop ends smbd and unmounts', { timeout: 300_000, skip: skip ?? false }, async () => {
  assert.equal(await serve!.stop(), 0, serve!.stderr());
  const r = await smb('ls');
  assert.match(r.stdout + r.stderr, /NT_STATUS_CONNECTION_REFUSED/);
});
