// The mount's file system over the engine's public API, one method per FUSE call: lookups through stat/readdir, reads
// through openReader, writes staged and committed as whole-file engine writes, times and modes as journaled changes.
// Never a member folder. Links, hard links and device files are refused (the mirror holds files and folders).
import { statfs } from 'node:fs/promises';
import type { FileStat, Mirror } from '../../index.ts';
import { EngineReader } from './engine-reader.ts';
import { FuseErrno } from './fuse-errno.ts';
import { StatCache } from './stat-cache.ts';
import { Stages, type Stage } from './stages.ts';

/** What a getattr answers (fuse-native's Stats, with times in ms). */
export interface Attr {
  mode: number; uid: number; gid: number; size: number; nlink: number; blksize: number; blocks: number;
  dev: number; ino: number; rdev: number; atime: number; mtime: number; ctime: number;
}

export interface StatFs {
  bsize: number; frsize: number; blocks: number; bfree: number; bavail: number;
  files: number; ffree: number; favail: number; fsid: number; flag: number; namemax: number;
}

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const O_ACCMODE = 0o3;
const O_TRUNC = 0o1000;
/** UTIME_OMIT ("leave this time as it is") as the fixed binding passes it (fix-binding.mjs); UTIME_NOW comes as now. */
const UTIME_OMIT_MS = 2 ** 52;

interface Handle {
  path: string;
  /** Writers, and readers opened while the path was staged, go through its stage. */
  stage?: Stage;
  reader?: EngineReader;
}

/** The mirror path of a FUSE path ("/a/b" → "a/b", "/" → ""). */
export const mirrorPath = (p: string) => p.replace(/^\/+/, '');
const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');

export class MirrorFs {
  readonly #mirror: () => Mirror | null;
  readonly stages: Stages;
  readonly #handles = new Map<number, Handle>();
  #nextFd = 1;
  readonly #uid = process.getuid?.() ?? 0;
  readonly #gid = process.getgid?.() ?? 0;
  #statfsCache?: { at: number; value: StatFs };
  /** The engine's stat answers, dropped on every change the engine reports (stat-cache.ts). */
  readonly attrs = new StatCache();

  constructor(o: { mirror: () => Mirror | null; fallbackStagingDir: string }) {
    this.#mirror = o.mirror;
    this.stages = new Stages(o.fallbackStagingDir);
  }

  /** The open mirror; none open (or stopped) is an I/O error for the program, never an empty folder passed off as data. */
  mirror(): Mirror {
    const m = this.#mirror();
    if (!m) throw new FuseErrno('EIO', 'No mirror is open.');
    return m;
  }

  #attr(type: 'file' | 'dir', size: number, mtimeMs: number, mode: number | undefined): Attr {
    const perm = mode ?? (type === 'dir' ? 0o755 : 0o644);
    return {
      mode: (type === 'dir' ? S_IFDIR : S_IFREG) | perm, uid: this.#uid, gid: this.#gid, size, nlink: 1,
      blksize: 128 * 1024, blocks: Math.ceil(size / 512), dev: 0, ino: 0, rdev: 0, atime: mtimeMs, mtime: mtimeMs, ctime: mtimeMs,
    };
  }

  async getattr(p: string): Promise<Attr> {
    const path = mirrorPath(p);
    const s = await this.stages.get(path);
    if (s) {
      const st = await s.stat();
      return this.#attr('file', st.size, st.mtimeMs, s.mode);
    }
    if (path === '' && !this.#mirror()) return this.#attr('dir', 0, 0, 0o755);
    const st: FileStat = await this.attrs.stat(this.mirror(), path);
    return this.#attr(st.type, st.size, st.mtimeMs, st.mode);
  }

  async readdir(p: string): Promise<string[]> {
    const path = mirrorPath(p);
    const names = (await this.mirror().readdir(path)).map((e) => e.name);
    // Files created through the mount and not yet closed are there too.
    const seen = new Set(names);
    for (const s of this.stages.under(path)) {
      if (parentOf(s.path) !== path) continue;
      const name = s.path.slice(path === '' ? 0 : path.length + 1);
      if (!seen.has(name)) { seen.add(name); names.push(name); }
    }
    return names;
  }

  /** The mirror's capacity: the smallest active member's, as a RAID 1 reports (what Samba and df show). */
  async statfs(): Promise<StatFs> {
    const now = Date.now();
    if (this.#statfsCache && now - this.#statfsCache.at < 1000) return this.#statfsCache.value;
    const m = this.#mirror();
    const paths = m ? m.status().members.filter((x) => x.state === 'in_sync' || x.state === 'behind' || x.state === 'resyncing').map((x) => x.path) : [];
    let total = 0, free = 0, avail = 0, files = 0, ffree = 0;
    let first = true;
    for (const path of paths) {
      try {
        const s = await statfs(path);
        const t = s.blocks * s.bsize;
        if (first || t < total) { total = t; free = s.bfree * s.bsize; avail = s.bavail * s.bsize; files = s.files; ffree = s.ffree; first = false; }
        else { free = Math.min(free, s.bfree * s.bsize); avail = Math.min(avail, s.bavail * s.bsize); }
      } catch { /* a member that cannot say is left out */ }
    }
    // Counts go to FUSE as 32-bit numbers: blocks big enough that a 100 TB drive still fits.
    let bsize = 4096;
    while (total / bsize > 0xffff_ffff) bsize *= 2;
    const value: StatFs = {
      bsize, frsize: bsize, blocks: Math.floor(total / bsize), bfree: Math.floor(free / bsize), bavail: Math.floor(avail / bsize),
      files: Math.min(files, 0xffff_ffff), ffree: Math.min(ffree, 0xffff_ffff), favail: Math.min(ffree, 0xffff_ffff), fsid: 0, flag: 0, namemax: 255,
    };
    this.#statfsCache = { at: now, value };
    return value;
  }

  #handle(fd: number): Handle {
    const h = this.#handles.get(fd);
    if (!h) throw new FuseErrno('EBADF');
    return h;
  }

  #add(h: Handle): number {
    let fd = this.#nextFd;
    while (this.#handles.has(fd) || fd === 0) fd = fd >= 0x7fff_ffff ? 1 : fd + 1;
    this.#nextFd = fd >= 0x7fff_ffff ? 1 : fd + 1;
    this.#handles.set(fd, h);
    return fd;
  }

  async open(p: string, flags: number): Promise<number> {
    const path = mirrorPath(p);
    const m = this.mirror();
    if ((flags & O_ACCMODE) === 0) {
      // Read-only: from the stage while the path is being written through the mount, else from the engine.
      const s = await this.stages.get(path);
      if (s) { s.opens++; return this.#add({ path, stage: s }); }
      const st = await this.attrs.stat(m, path);
      if (st.type === 'dir') throw new FuseErrno('EISDIR');
      return this.#add({ path, reader: new EngineReader(m, path) });
    }
    const stage = await this.stages.acquire(m, path, { fresh: (flags & O_TRUNC) !== 0 });
    return this.#add({ path, stage });
  }

  /** A new file: refused at once when the mirror cannot hold its name; it reaches the engine when first closed. */
  async create(p: string, mode: number): Promise<number> {
    const path = mirrorPath(p);
    const m = this.mirror();
    m.checkName(path);
    const parent = parentOf(path);
    if (parent !== '') {
      const st = await this.attrs.stat(m, parent);
      if (st.type !== 'dir') throw new FuseErrno('ENOTDIR');
    }
    const stage = await this.stages.acquire(m, path, { fresh: true, mode: mode & 0o777 });
    stage.mode = mode & 0o777;
    return this.#add({ path, stage });
  }

  async read(fd: number, buf: Uint8Array, len: number, pos: number): Promise<number> {
    const h = this.#handle(fd);
    if (h.stage) return h.stage.read(buf, len, pos);
    return h.reader!.read(buf, len, pos);
  }

  async write(fd: number, buf: Uint8Array, len: number, pos: number): Promise<number> {
    const h = this.#handle(fd);
    if (!h.stage) throw new FuseErrno('EBADF');
    return h.stage.write(buf.subarray(0, len), pos);
  }

  /** close(2): what was written is committed, and close returns once it is acknowledged. */
  async flush(fd: number): Promise<void> {
    const h = this.#handle(fd);
    if (h.stage?.dirty) await h.stage.commit(this.mirror());
  }

  /** fsync(2): returns only when the file is durable on every fast member (one acknowledged engine write). */
  async fsync(fd: number): Promise<void> { await this.flush(fd); }

  async release(fd: number): Promise<void> {
    const h = this.#handles.get(fd);
    if (!h) return;
    this.#handles.delete(fd);
    if (h.stage) await this.stages.release(this.#mirror(), h.stage);
    await h.reader?.close();
  }

  async truncate(p: string, size: number): Promise<void> {
    const path = mirrorPath(p);
    const s = await this.stages.get(path);
    if (s) return s.truncate(size);
    const m = this.mirror();
    if (size === 0) {
      const st = await m.stat(path);
      if (st.type === 'dir') throw new FuseErrno('EISDIR');
      return m.writeFile(path, new Uint8Array(0), { mode: st.mode ?? 0o644 });
    }
    // Any other size: staged (copied in), cut, committed, as if opened, truncated and closed.
    const stage = await this.stages.acquire(m, path, { fresh: false });
    try {
      await stage.truncate(size);
    } finally {
      await this.stages.release(m, stage);
    }
  }

  async ftruncate(fd: number, size: number): Promise<void> {
    const h = this.#handle(fd);
    if (!h.stage) throw new FuseErrno('EBADF');
    await h.stage.truncate(size);
  }

  async mkdir(p: string, mode: number): Promise<void> {
    const path = mirrorPath(p);
    const m = this.mirror();
    await m.mkdir(path);
    const wanted = mode & 0o777;
    const st = await m.stat(path);
    if (st.mode !== undefined && st.mode !== wanted) await m.setAttributes(path, { mode: wanted });
  }

  async unlink(p: string): Promise<void> {
    const path = mirrorPath(p);
    const m = this.mirror();
    const s = await this.stages.get(path);
    if (s) {
      // Created through the mount and never closed: it never reached the mirror; its handles keep the orphan.
      const inMirror = await m.stat(path).then(() => true, () => false);
      this.stages.orphan(path);
      if (!inMirror) return;
    } else if ((await m.stat(path)).type === 'dir') {
      throw new FuseErrno('EISDIR');
    }
    await m.remove(path);
  }

  async rmdir(p: string): Promise<void> {
    const path = mirrorPath(p);
    const m = this.mirror();
    if ((await m.stat(path)).type !== 'dir') throw new FuseErrno('ENOTDIR');
    // The engine removes a folder with what it holds; rmdir(2) only ever removes an empty one.
    if ((await m.readdir(path)).length > 0 || this.stages.under(path).length > 0) throw new FuseErrno('ENOTEMPTY');
    await m.remove(path);
  }

  /** rename(2): a file may replace a file, and a folder an empty folder; what was open keeps its handles. */
  async rename(src: string, dest: string): Promise<void> {
    const from = mirrorPath(src), to = mirrorPath(dest);
    const m = this.mirror();
    // What is staged at or under `from` reaches the engine first, so the engine moves the latest version.
    for (const s of [await this.stages.get(from), ...this.stages.under(from)]) if (s?.dirty) await s.commit(m);
    const target = (await this.stages.get(to)) ? ({ type: 'file' } as const) : await m.stat(to).catch(() => null);
    if (target?.type === 'dir') {
      const source = await m.stat(from);
      if (source.type !== 'dir') throw new FuseErrno('EISDIR');
      if ((await m.readdir(to)).length > 0 || this.stages.under(to).length > 0) throw new FuseErrno('ENOTEMPTY');
      await m.remove(to);
    } else if (target && (await m.stat(from)).type === 'dir') {
      throw new FuseErrno('ENOTDIR');
    }
    const replaced = await this.stages.get(to);
    if (replaced?.dirty) await replaced.commit(m); // it must exist in the engine to be replaced there
    await m.rename(from, to, { replace: target !== null });
    this.stages.orphan(to);
    this.stages.moved(from, to);
  }

  async chmod(p: string, mode: number): Promise<void> {
    const path = mirrorPath(p);
    const s = await this.stages.get(path);
    if (s) {
      s.mode = mode & 0o777;
      if (s.dirty) return; // committed with it
    }
    await this.mirror().setAttributes(path, { mode: mode & 0o777 });
  }

  async utimens(p: string, _atime: number, mtime: number): Promise<void> {
    const path = mirrorPath(p);
    if (mtime >= UTIME_OMIT_MS) { await this.getattr(p); return; } // only the access time, which the mirror does not keep
    const mtimeMs = mtime;
    const s = await this.stages.get(path);
    if (s) {
      s.mtimeMs = mtimeMs;
      if (s.dirty) return; // committed with it
    }
    await this.mirror().setAttributes(path, { mtimeMs });
  }

  /** Ownership is the mount's user: a chown to it (or to -1) is a no-op, to anyone else refused. */
  async chown(p: string, uid: number, gid: number): Promise<void> {
    await this.getattr(p);
    const same = (x: number, own: number) => x === own || x === -1 || x === 0xffff_ffff;
    if (!same(uid, this.#uid) || !same(gid, this.#gid)) throw new FuseErrno('EPERM');
  }

  /** Every handle's staged writes committed (before the mount goes away): what can be kept is kept. */
  async commitAll(): Promise<void> {
    const m = this.#mirror();
    if (!m) return;
    await Promise.all(this.stages.all().map((s) => s.commit(m).catch(() => {})));
  }
}
