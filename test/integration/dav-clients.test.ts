// Real WebDAV clients against the share, scripted: rclone (copy + check --download), cadaver (mkcol, put, ls, move,
// get), gio under dbus-run-session (GNOME's gvfs), and a davfs2 mount (cp -a a tree in, diff -r it back). Each skips
// with the package to install when its tool is missing; davfs2 also needs root and /dev/fuse. Every client runs as a
// child process, so this process stays free to answer it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, type ExecFileOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { davMirror, davServer, installed } from '../helpers/dav.ts';
import { text } from '../helpers/engine.ts';
import { tempDir } from '../helpers/tmp.ts';

/** No spaces: cadaver reads it from ~/.netrc, whose fields are separated by white space. */
const PASSWORD = 'client-password';

function run(cmd: string, args: string[], o: ExecFileOptions & { input?: string } = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = execFile(cmd, args, { timeout: 120_000, maxBuffer: 16 << 20, ...o }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}${stderr}` });
    });
    if (o.input !== undefined) child.stdin!.end(o.input);
  });
}

/** A small tree with the names that trip clients up: spaces, ampersands, non-ASCII, nesting, a few MiB. */
async function sampleTree(root: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>([
    ['top.txt', Buffer.from('top\n')],
    ['a b/spa ce & ünï.txt', Buffer.from('names with spaces and ü\n')],
    ['a b/ü dir/big.bin', randomBytes(3 << 20)],
    ['a b/ü dir/deeper/empty.txt', Buffer.alloc(0)],
  ]);
  for (const [path, data] of files) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), data);
  }
  return files;
}

async function share(t: Parameters<typeof tempDir>[0]) {
  const mirror = await davMirror(t);
  const s = await davServer(t, { mirror: mirror.m, password: PASSWORD });
  return { ...mirror, s, url: s.base };
}

test('rclone: copy a tree with spaces and ü, then check --download finds 0 differences', { timeout: 300_000 }, async (t) => {
  if (!installed('rclone')) return t.skip('rclone is not installed (apt-get install -y rclone)');
  const { m, url } = await share(t);
  const dir = await tempDir(t);
  const files = await sampleTree(join(dir, 'src'));
  const obscured = (await run('rclone', ['obscure', PASSWORD])).out.trim();
  const env = {
    ...process.env, RCLONE_CONFIG: join(dir, 'none.conf'), RCLONE_CONFIG_NAS_TYPE: 'webdav', RCLONE_CONFIG_NAS_URL: url,
    RCLONE_CONFIG_NAS_VENDOR: 'other', RCLONE_CONFIG_NAS_USER: 'nas', RCLONE_CONFIG_NAS_PASS: obscured,
  };
  const copy = await run('rclone', ['copy', join(dir, 'src'), 'nas:tree'], { env });
  assert.equal(copy.code, 0, copy.out);
  const check = await run('rclone', ['check', '--download', join(dir, 'src'), 'nas:tree'], { env });
  assert.equal(check.code, 0, check.out);
  assert.match(check.out, /0 differences found/);
  for (const [path, data] of files) assert.ok(Buffer.from(await m.readFile(`tree/${path}`)).equals(data), path);
  const back = await run('rclone', ['copy', 'nas:tree', join(dir, 'back')], { env });
  assert.equal(back.code, 0, back.out);
  for (const [path, data] of files) assert.ok((await readFile(join(dir, 'back', path))).equals(data), path);
});

test('cadaver: mkcol, put, ls, move, get', { timeout: 120_000 }, async (t) => {
  if (!installed('cadaver')) return t.skip('cadaver is not installed (apt-get install -y cadaver)');
  const { m, url } = await share(t);
  const home = await tempDir(t);
  await writeFile(join(home, '.netrc'), `machine 127.0.0.1\nlogin nas\npassword ${PASSWORD}\n`, { mode: 0o600 });
  await writeFile(join(home, 'local.txt'), 'put by cadaver\n');
  const script = ['mkcol docs', 'put local.txt docs/one.txt', 'ls docs', 'move docs/one.txt docs/two.txt', 'get docs/two.txt back.txt', 'ls docs', 'quit', ''].join('\n');
  const r = await run('cadaver', [url], { cwd: home, env: { ...process.env, HOME: home }, input: script });
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /failed/i, r.out);
  assert.match(r.out, /Listing collection `\/dav\/docs\/': succeeded[^]*one\.txt[^]*two\.txt/);
  assert.equal(await readFile(join(home, 'back.txt'), 'utf8'), 'put by cadaver\n');
  assert.equal(text(await m.readFile('docs/two.txt')), 'put by cadaver\n');
  await assert.rejects(m.stat('docs/one.txt'), { code: 'ENOTFOUND' });
});

test('gio (gvfs) under dbus-run-session: mount, list, copy in and out', { timeout: 180_000 }, async (t) => {
  if (!installed('gio') || !installed('dbus-run-session') || !existsSync('/usr/libexec/gvfsd-dav')) {
    return t.skip('gio with gvfs is not installed (apt-get install -y libglib2.0-bin gvfs gvfs-backends dbus)');
  }
  const { m, s } = await share(t);
  const dir = await tempDir(t);
  await writeFile(join(dir, 'in.txt'), 'copied by gio\n');
  const dav = `dav://127.0.0.1:${s.port}/dav`;
  const script = [
    'set -e',
    `printf 'nas\\n%s\\n' "$PW" | gio mount "${dav}/"`,
    `gio mkdir "${dav}/gio dir"`,
    `gio copy "${dir}/in.txt" "${dav}/gio dir/in ü.txt"`,
    `gio list "${dav}/gio dir/"`,
    `gio copy "${dav}/gio dir/in ü.txt" "${dir}/out.txt"`,
    `gio mount -u "${dav}/"`,
  ].join('\n');
  const r = await run('dbus-run-session', ['--', 'bash', '-c', script], { env: { ...process.env, PW: PASSWORD, HOME: dir } });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /in ü\.txt/);
  assert.equal(await readFile(join(dir, 'out.txt'), 'utf8'), 'copied by gio\n');
  assert.equal(text(await m.readFile('gio dir/in ü.txt')), 'copied by gio\n');
});

test('davfs2 mount: cp -a a tree in, remount with an empty cache, diff -r finds it whole; listings work', { timeout: 300_000 }, async (t) => {
  if (!installed('mount.davfs')) return t.skip('davfs2 is not installed (apt-get install -y davfs2)');
  if (process.getuid?.() !== 0) return t.skip('mounting davfs2 needs root');
  if (!existsSync('/dev/fuse')) return t.skip('no /dev/fuse here');
  const { m, url } = await share(t);
  const dir = await tempDir(t);
  await chmod(dir, 0o755); // davfs2 works as its own user, who must reach the cache inside
  const files = await sampleTree(join(dir, 'src'));
  const mnt = join(dir, 'mnt');
  await mkdir(mnt);
  const secrets = join(dir, 'secrets');
  await writeFile(secrets, `${url} nas ${PASSWORD}\n`, { mode: 0o600 });
  let n = 0;
  /** A mount with its own, empty cache: what it shows after a remount came from the server, not from a local copy. */
  const mount = async () => {
    const cache = join(dir, `cache${n++}`);
    await mkdir(cache);
    const gid = Number((await run('getent', ['group', 'davfs2'])).out.split(':')[2]);
    if (Number.isInteger(gid)) await chown(cache, 0, gid); // davfs2 drops to its own user for the cache
    await chmod(cache, 0o775);
    const conf = join(dir, `davfs2-${n}.conf`);
    // buf_size: davfs2 1.6.1 answers EINVAL to a READDIR bigger than its buffer (16 KiB by default), and this kernel
    // asks for 32 KiB: that, not the server, is why listings failed here ("reading directory: Invalid argument").
    await writeFile(conf, `secrets ${secrets}\ncache_dir ${cache}\nbuf_size 64\n`);
    const r = await run('mount', ['-t', 'davfs', '-o', `conf=${conf}`, url, mnt], { input: '' });
    assert.equal(r.code, 0, r.out);
  };
  const unmount = async () => {
    const r = await run('umount', [mnt]);
    assert.equal(r.code, 0, `umount (davfs2 uploads what is left): ${r.out}`);
  };
  t.after(async () => { await run('umount', ['-l', mnt]); });

  await mount();
  const cp = await run('cp', ['-a', join(dir, 'src'), join(mnt, 'tree')]);
  assert.equal(cp.code, 0, cp.out);
  const ls = await run('ls', ['-R', join(mnt, 'tree')]);
  assert.equal(ls.code, 0, `listing the mount: ${ls.out}`);
  assert.match(ls.out, /spa ce & ünï\.txt/);
  await unmount();
  for (const [path, data] of files) assert.ok(Buffer.from(await m.readFile(`tree/${path}`)).equals(data), `${path} reached the mirror`);

  await mount();
  const diff = await run('diff', ['-r', join(dir, 'src'), join(mnt, 'tree')]);
  assert.equal(diff.code, 0, diff.out);
  const mv = await run('mv', [join(mnt, 'tree', 'top.txt'), join(mnt, 'tree', 'moved.txt')]);
  assert.equal(mv.code, 0, mv.out);
  await unmount();
  assert.equal(text(await m.readFile('tree/moved.txt')), 'top\n');
  await assert.rejects(m.stat('tree/top.txt'), { code: 'ENOTFOUND' });
});
