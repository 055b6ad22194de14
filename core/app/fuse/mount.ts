// The mirror as a local folder (Linux, FUSE): mounts MirrorFs at a folder with @cocalc/fuse-native, clears a dead
// mount a crash left there, and unmounts on stop. macOS (macFUSE) and Windows (WinFsp) are not supported: use WebDAV.
import { execFile } from 'node:child_process';
import { access, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Mirror } from '../../index.ts';
import { errnoOf } from './fuse-errno.ts';
import { MirrorFs, type Attr } from './mirror-fs.ts';
import { guardedMount } from './mount-guard.ts';

const run = promisify(execFile);

/** Why this computer cannot mount the mirror as a folder, or null when it can. */
export async function mountUnavailable(): Promise<string | null> {
  if (process.platform !== 'linux') {
    return 'Mounting the mirror as a folder works on Linux only; on macOS and Windows connect to the WebDAV share instead.';
  }
  if (!(await access('/dev/fuse').then(() => true, () => false))) {
    return '/dev/fuse is missing: load the fuse kernel module (modprobe fuse) or, in a container, pass the device in.';
  }
  return loadFuse() ? null
    : 'FUSE support is not installed: install libfuse-dev and pkg-config (apt-get install libfuse-dev pkg-config), then run npm ci again so @cocalc/fuse-native is built.';
}

interface FuseInstance {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}
type FuseCtor = new (mnt: string, ops: object, opts: object) => FuseInstance;

let fuseCtor: FuseCtor | null | undefined;
/** The native binding, loaded on first use: it is an optional dependency, built only where libfuse is installed. */
function loadFuse(): FuseCtor | null {
  if (fuseCtor !== undefined) return fuseCtor;
  try {
    fuseCtor = createRequire(import.meta.url)('@cocalc/fuse-native') as FuseCtor;
  } catch {
    fuseCtor = null;
  }
  return fuseCtor;
}

/**
 * What is mounted at `dir`: nothing, a live file system, or a dead FUSE mount — its process was killed, so every access
 * fails with "Transport endpoint is not connected", or hangs while some leftover process still holds the connection.
 * Asked of findmnt and of a `stat` child with a deadline, never of this process: a hung mount must not hang us.
 */
async function mountAt(dir: string): Promise<'none' | 'live' | 'dead'> {
  const found = await run('findmnt', ['-n', '-o', 'FSTYPE', '--mountpoint', dir]).then((r) => r.stdout.trim(), () => '');
  if (found === '') return 'none';
  if (!found.startsWith('fuse')) return 'live';
  return run('stat', ['-c', '%i', dir], { timeout: 3000, killSignal: 'SIGKILL' }).then(() => 'live' as const, () => 'dead' as const);
}

/**
 * Clears a dead mount: a forced unmount first aborts its FUSE connection, so programs stuck waiting on it (even one
 * that inherited the connection and keeps it open) get an error instead of hanging for good; then a lazy unmount.
 */
async function clearDeadMount(dir: string): Promise<void> {
  await run('umount', ['-f', dir]).catch(() => {});
  if ((await mountAt(dir)) === 'none') return;
  await run('fusermount', ['-uz', dir]).catch(() => run('umount', ['-l', dir]));
}

export interface MountOptions {
  dir: string;
  /** The open mirror (it may change, or be none). */
  mirror: () => Mirror | null;
  /** Where files are staged when the mirror has no in-sync fast member to stage them on (cleared at mount). */
  fallbackStagingDir: string;
  /** Seconds the kernel may keep attributes and names; 0 (default): every lookup asks the engine, so a change made
   * another way (the app, WebDAV) is seen at once. */
  cacheSeconds?: number;
  log?: (m: string) => void;
  /** How long the main thread may stay blocked in the mount before its helper is ended (default 20 s). */
  mountStallMs?: number;
}

export interface MirrorMount {
  readonly dir: string;
  readonly fs: MirrorFs;
  /** Unmounts (lazily: programs still inside get errors, not a hang), then commits what is still staged. */
  unmount(): Promise<void>;
}

/** Mounts the mirror at `dir` (created if missing); resolves once the kernel has the mount. */
export async function mountMirror(o: MountOptions): Promise<MirrorMount> {
  const why = await mountUnavailable();
  if (why) throw new Error(why);
  const Fuse = loadFuse()!;
  const dir = resolve(o.dir);
  const log = o.log ?? (() => {});
  const before = await mountAt(dir);
  if (before === 'dead') {
    log(`${dir} held a dead mount (left by a crash): unmounting it.`);
    await clearDeadMount(dir);
  } else if (before === 'live') {
    throw new Error(`${dir} is already a mount point (is NAS Mirror already running?). Unmount it or choose another folder.`);
  }
  await mkdir(dir, { recursive: true });
  await rm(o.fallbackStagingDir, { recursive: true, force: true });

  const fs = new MirrorFs({ mirror: o.mirror, fallbackStagingDir: o.fallbackStagingDir });
  const cache = o.cacheSeconds ?? 0;
  const make = () => {
    const fuse = new Fuse(dir, operations(fs, log), {
      timeout: false, // an engine call may wait (a fallback read, a big commit): never cut short with ETIMEDOUT
      autoUnmount: true, // if this process dies, fusermount unmounts: no dead mount left in the way
      // fuse-native has no option for these: libfuse reads the fsname value as more options. big_writes lets writes
      // come in 128 KiB pieces instead of 4 KiB; atomic_o_trunc hands O_TRUNC to open instead of a separate truncate.
      fsname: 'nas-mirror,big_writes,atomic_o_trunc',
      subtype: 'nas-mirror',
      attrTimeout: cache, entryTimeout: cache, acAttrTimeout: cache,
    });
    // 0 is not passed on by fuse-native (it skips falsy options): libfuse's default (1 s) would apply.
    if (cache === 0) zeroTimeouts(fuse);
    return fuse;
  };
  const fuse = await mountOnce(make, dir, o, log);

  let unmounted: Promise<void> | undefined;
  return {
    dir, fs,
    unmount() {
      unmounted ??= (async () => {
        await new Promise<void>((res) => fuse.unmount((err) => {
          if (err) log(`Unmounting ${dir} failed: ${err.message}`);
          res();
        }));
        await fs.commitAll();
        fs.attrs.close();
      })();
      return unmounted;
    },
  };
}

/**
 * Mounts, guarded (mount-guard.ts): a mount helper that never answers is ended after `mountStallMs` and the mount
 * tried once more, so a stuck helper costs a retry instead of freezing the process.
 */
async function mountOnce(make: () => FuseInstance, dir: string, o: MountOptions, log: (m: string) => void): Promise<FuseInstance> {
  const stallMs = o.mountStallMs ?? 20_000;
  for (let attempt = 1; ; attempt++) {
    const fuse = make();
    const r = await guardedMount(() => new Promise<void>((res, rej) => fuse.mount((err) => (err ? rej(err) : res()))), stallMs);
    if (!r.stall) {
      if (r.error) throw new Error(`Mounting at ${dir} failed: ${(r.error as Error).message}`);
      return fuse;
    }
    log(`Mounting at ${dir} stalled ${Math.round(r.stall.stalledMs / 1000)} s (ended process ${r.stall.killed.join(', ')}):\n${r.stall.report}`);
    if (!r.error) return fuse; // it went through after all
    await clearDeadMount(dir);
    if (attempt === 2) {
      throw new Error(`Mounting at ${dir} failed: the FUSE mount helper (fusermount) did not answer within ${Math.round(stallMs / 1000)} s, twice. Check that \`fusermount -V\` runs, then try again.`);
    }
  }
}

/** Makes fuse-native pass entry/attr timeouts of 0, which its option builder drops as falsy. */
function zeroTimeouts(fuse: object): void {
  const f = fuse as { _fuseOptions(): string };
  const built = f._fuseOptions.bind(fuse);
  f._fuseOptions = () => {
    const opts = built();
    const extra = 'entry_timeout=0,negative_timeout=0,attr_timeout=0,ac_attr_timeout=0';
    return opts ? `${opts},${extra}` : `-o${extra}`;
  };
}

type Cb<T = void> = T extends void ? (err: number) => void : (err: number, value?: T) => void;

/** The callbacks fuse-native calls, each an engine call whose error becomes an errno; unexpected ones are logged. */
function operations(fs: MirrorFs, log: (m: string) => void): object {
  const answer = <T>(what: string, p: Promise<T>, cb: (err: number, value?: T) => void, lookup = false) => {
    p.then((v) => cb(0, v), (e: unknown) => {
      const code = errnoOf(e, lookup);
      if (code === -5) log(`FUSE ${what}: ${e instanceof Error ? e.message : String(e)}`);
      cb(code);
    });
  };
  /** read/write answer with a byte count, or a negative errno, in one value. */
  const count = (what: string, p: Promise<number>, cb: (n: number) => void) => {
    p.then(cb, (e: unknown) => {
      const code = errnoOf(e);
      if (code === -5) log(`FUSE ${what}: ${e instanceof Error ? e.message : String(e)}`);
      cb(code);
    });
  };
  const refuse = (...args: unknown[]) => (args.at(-1) as Cb)(-1); // EPERM
  const ms = (t: number | Date) => (typeof t === 'number' ? t : t.getTime());
  const toStat = (a: Attr) => ({ ...a, atime: new Date(a.atime), mtime: new Date(a.mtime), ctime: new Date(a.ctime) });
  return {
    getattr: (p: string, cb: Cb<object>) => answer(`stat ${p}`, fs.getattr(p).then(toStat), cb, true),
    fgetattr: (p: string, _fd: number, cb: Cb<object>) => answer(`stat ${p}`, fs.getattr(p).then(toStat), cb, true),
    readdir: (p: string, cb: Cb<string[]>) => answer(`list ${p}`, fs.readdir(p), cb, true),
    statfs: (_p: string, cb: Cb<object>) => answer('statfs', fs.statfs(), cb),
    open: (p: string, flags: number, cb: Cb<number>) => answer(`open ${p}`, fs.open(p, flags), cb),
    create: (p: string, mode: number, cb: Cb<number>) => answer(`create ${p}`, fs.create(p, mode), cb),
    read: (p: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) => count(`read ${p}`, fs.read(fd, buf, len, pos), cb),
    write: (p: string, fd: number, buf: Buffer, len: number, pos: number, cb: (n: number) => void) => count(`write ${p}`, fs.write(fd, buf, len, pos), cb),
    flush: (p: string, fd: number, cb: Cb) => answer(`close ${p}`, fs.flush(fd), cb),
    fsync: (p: string, _datasync: boolean, fd: number, cb: Cb) => answer(`fsync ${p}`, fs.fsync(fd), cb),
    fsyncdir: (_p: string, _datasync: boolean, _fd: number, cb: Cb) => cb(0), // every change is durable when it returns
    release: (p: string, fd: number, cb: Cb) => answer(`release ${p}`, fs.release(fd), cb),
    truncate: (p: string, size: number, cb: Cb) => answer(`truncate ${p}`, fs.truncate(p, size), cb),
    ftruncate: (p: string, fd: number, size: number, cb: Cb) => answer(`truncate ${p}`, fs.ftruncate(fd, size), cb),
    mkdir: (p: string, mode: number, cb: Cb) => answer(`mkdir ${p}`, fs.mkdir(p, mode), cb),
    unlink: (p: string, cb: Cb) => answer(`unlink ${p}`, fs.unlink(p), cb),
    rmdir: (p: string, cb: Cb) => answer(`rmdir ${p}`, fs.rmdir(p), cb),
    rename: (src: string, dest: string, cb: Cb) => answer(`rename ${src}`, fs.rename(src, dest), cb),
    chmod: (p: string, mode: number, cb: Cb) => answer(`chmod ${p}`, fs.chmod(p, mode), cb),
    chown: (p: string, uid: number, gid: number, cb: Cb) => answer(`chown ${p}`, fs.chown(p, uid, gid), cb),
    utimens: (p: string, atime: number | Date, mtime: number | Date, cb: Cb) => answer(`utimens ${p}`, fs.utimens(p, ms(atime), ms(mtime)), cb),
    readlink: (_p: string, cb: Cb<string>) => cb(-22), // EINVAL: nothing in the mirror is a link
    // The mirror holds files and folders: links, hard links and device files are refused, as everywhere else.
    symlink: refuse,
    link: refuse,
    mknod: refuse,
  };
}
