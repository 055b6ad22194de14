// Files open for writing through the mount: each one staged whole (copied in when opened, as rclone mount
// --vfs-cache-mode writes does), written at offsets there, and committed as one engine write on close and on fsync.
// Readers elsewhere see the last committed version; readers through the mount see the stage. A small file is staged in
// memory (a stage is never durable, so memory loses nothing a temp file would keep); one that grows past
// MEMORY_STAGE_BYTES, or finds the memory budget spent, moves to a temp file in the fast member's `.nas-mirror/`.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mirror } from '../../index.ts';
import { FLUSH_AHEAD_BYTES } from '../../fs/node-fs.ts';

/**
 * A file staged in memory up to this size. Untarring thousands of small files then costs no temp file per file
 * (create, fstat per getattr, read back, close, delete: about 5 ms a file measured on a loop ext4 drive).
 */
export const MEMORY_STAGE_BYTES = 1 << 20;
/** Every stage held in memory at once, together: past it a stage goes to a temp file. */
export const MEMORY_BUDGET_BYTES = 64 << 20;

/** What the memory stages of one mount hold together. */
export class MemoryBudget {
  used = 0;
  constructor(readonly max = MEMORY_BUDGET_BYTES) {}
  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }
  give(n: number): void { this.used -= n; }
}

/** A stage's temp file; `onMember`: in the mirror's staging folder on a member's drive (it can land itself there). */
interface StageFile { name: string; fh: FileHandle; onMember: boolean }

/** One path being written through the mount: the bytes every handle opened for writing on it shares. */
export class Stage {
  /** The mirror path; a rename through the mount moves it along. */
  path: string;
  /** Handles open on it (writers, and readers opened while it was staged). */
  opens = 0;
  /** Written since the last commit (or created and never committed). */
  dirty: boolean;
  /** The permission bits it is committed with. */
  mode: number;
  /** A time set on it (utimens) since its last write: committed instead of the time of that write. */
  mtimeMs: number | undefined;
  /** Removed or replaced through the mount while open: its writes go nowhere, as with an unlinked file. */
  orphan = false;
  /** Set once the last handle is released: its last commit and cleanup; a new open waits for it. */
  closing: Promise<void> | undefined;
  /** Operations on the bytes and commits, one at a time: a commit never reads a half-written write. */
  #queue: Promise<unknown> = Promise.resolve();
  /** In memory: the bytes (capacity counted in the budget), their length and the time of the last change. */
  #mem: Uint8Array | null = null;
  #size = 0;
  #memMtimeMs = Date.now();
  /** In a temp file (after a spill, or a big file copied in). */
  #file: StageFile | null = null;
  /**
   * Landed: the temp file itself became the mirror's file (writeStaged), so the stage holds no bytes; its size and time
   * are what landed. Bytes wanted again (a write after an fsync, a read) are copied in again, as an open does.
   */
  #landed: { mirror: Mirror; size: number; mtimeMs: number } | null = null;
  /** Flush ahead (#wroteToFile): bytes written since the last, the one running, and the first error one met. */
  #sinceFlush = 0;
  #ahead: Promise<void> | undefined;
  #aheadError: unknown;
  /** The temp folder: the mirror's staging folder on a member's drive (`onMember`), or the host's fallback folder. */
  readonly #dir: string;
  readonly #onMember: boolean;
  readonly #budget: MemoryBudget;

  constructor(o: { path: string; dir: string; onMember?: boolean; budget: MemoryBudget; dirty: boolean; mode: number; file?: StageFile }) {
    this.path = o.path;
    this.#dir = o.dir;
    this.#onMember = o.onMember === true;
    this.#budget = o.budget;
    this.dirty = o.dirty;
    this.mode = o.mode;
    if (o.file) this.#file = o.file;
    else this.#mem = new Uint8Array(0);
  }

  /** Whether it is held in memory (tests). */
  get inMemory(): boolean { return this.#mem !== null; }

  /** Runs `fn` after everything queued on this stage before it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.#queue.then(fn);
    this.#queue = r.catch(() => {});
    return r;
  }

  /** Room in memory for `end` bytes, or false (then the stage moves to a temp file). */
  #room(end: number): boolean {
    const mem = this.#mem!;
    if (end <= mem.byteLength) return true;
    if (end > MEMORY_STAGE_BYTES) return false;
    const cap = Math.min(MEMORY_STAGE_BYTES, Math.max(end, mem.byteLength * 2, 4096));
    if (!this.#budget.take(cap - mem.byteLength)) return false;
    const grown = new Uint8Array(cap);
    grown.set(mem.subarray(0, this.#size));
    this.#budget.give(mem.byteLength);
    this.#mem = grown;
    return true;
  }

  /** Moves the bytes held in memory to a temp file (called in the queue). */
  async #spill(): Promise<FileHandle> {
    if (this.#file) return this.#file.fh;
    await mkdir(this.#dir, { recursive: true });
    const name = join(this.#dir, `mount-${randomBytes(8).toString('hex')}.stage`);
    const fh = await open(name, 'wx+', 0o600);
    try {
      const mem = this.#mem!;
      let done = 0;
      while (done < this.#size) done += (await fh.write(mem, done, this.#size - done, done)).bytesWritten;
      await fh.utimes(new Date(), new Date(this.#memMtimeMs));
    } catch (e) {
      await fh.close().catch(() => {});
      await rm(name, { force: true });
      throw e;
    }
    this.#file = { name, fh, onMember: this.#onMember };
    this.#budget.give(this.#mem!.byteLength);
    this.#mem = null;
    return fh;
  }

  async write(buf: Uint8Array, pos: number): Promise<number> {
    return this.run(async () => {
      await this.#unland();
      const end = pos + buf.byteLength;
      if (this.#mem && this.#room(end)) {
        this.#mem.set(buf, pos);
        this.#size = Math.max(this.#size, end);
        this.#memMtimeMs = Date.now();
      } else {
        const fh = await this.#spill();
        let done = 0;
        while (done < buf.byteLength) done += (await fh.write(buf, done, buf.byteLength - done, pos + done)).bytesWritten;
        this.#wroteToFile(fh, buf.byteLength);
      }
      this.dirty = true;
      this.mtimeMs = undefined; // a write after a utimens moves the time again, as on any filesystem
      return buf.byteLength;
    });
  }

  async read(buf: Uint8Array, len: number, pos: number): Promise<number> {
    if (this.#landed) await this.run(() => this.#unland());
    const mem = this.#mem;
    if (mem) {
      const n = Math.max(0, Math.min(len, this.#size - pos));
      if (n > 0) buf.set(mem.subarray(pos, pos + n));
      return n;
    }
    return (await this.#file!.fh.read(buf, 0, len, pos)).bytesRead;
  }

  truncate(size: number): Promise<void> {
    return this.run(async () => {
      if (this.#landed && size === 0) { this.#landed = null; this.#mem = new Uint8Array(0); this.#size = 0; } // nothing to copy in
      await this.#unland();
      if (this.#mem && (size <= this.#size || this.#room(size))) {
        // What lies past the new end reads as zeros if the file grows again (as a hole does).
        if (size < this.#size) this.#mem.fill(0, size, this.#size);
        this.#size = size;
        this.#memMtimeMs = Date.now();
      } else {
        await (await this.#spill()).truncate(size);
      }
      this.dirty = true;
      this.mtimeMs = undefined;
    });
  }

  async stat(): Promise<{ size: number; mtimeMs: number }> {
    if (this.#landed) return { size: this.#landed.size, mtimeMs: this.mtimeMs ?? this.#landed.mtimeMs };
    if (this.#mem) return { size: this.#size, mtimeMs: this.mtimeMs ?? this.#memMtimeMs };
    const s = await this.#file!.fh.stat();
    return { size: s.size, mtimeMs: this.mtimeMs ?? s.mtimeMs };
  }

  /**
   * One engine write of the whole staged file, if it changed since the last: resolves once acknowledged (durable on
   * every fast member), which is when close and fsync return to the program. In the queue, so the bytes cannot change
   * under it; the engine takes its own copy of them before acknowledging (the behind copy, invariant 8).
   */
  commit(mirror: Mirror): Promise<void> {
    return this.run(async () => {
      if (!this.dirty || this.orphan) return;
      await this.#ahead;
      if (this.#aheadError !== undefined) throw this.#aheadError; // what the drive failed to write is not committed
      const { size, mtimeMs } = await this.stat();
      const attrs = { mtimeMs, mode: this.mode };
      if (this.#file?.onMember) {
        // The temp file is on a member's drive, beside where the file goes: it lands itself there, and only the other
        // members get a copy (one write of the bytes fewer, and no second copy to read back).
        const f = this.#file;
        await mirror.writeStaged(this.path, f.name, attrs);
        this.#file = null;
        this.#landed = { mirror, size, mtimeMs };
        this.mtimeMs = undefined;
        await f.fh.close().catch(() => {});
      } else {
        const data = this.#mem ? this.#mem.subarray(0, size) : chunksOf(this.#file!.fh, size);
        await mirror.writeFile(this.path, data, attrs);
      }
      this.dirty = false;
    });
  }

  /**
   * Writeback started ahead: every FLUSH_AHEAD_BYTES written to the temp file, an fdatasync of it starts and is not
   * waited for, so the drive writes the stage back while the program writes on: the commit's fsync (the file lands
   * itself) finds little left, and a big file does not pile up dirty memory until the kernel throttles every writer.
   * Its error is kept: the kernel reports a failed writeback once, and the commit, opening the file anew, would not
   * hear of it (the commit fails with it instead of landing lost pages).
   */
  #wroteToFile(fh: FileHandle, n: number): void {
    this.#sinceFlush += n;
    if (this.#sinceFlush < FLUSH_AHEAD_BYTES || this.#ahead) return;
    this.#sinceFlush = 0;
    this.#ahead = fh.datasync().catch((e: unknown) => { this.#aheadError ??= e; }).finally(() => { this.#ahead = undefined; });
  }

  /** A landed stage gets its bytes again: the mirror's file copied into a new temp file (called in the queue). */
  async #unland(): Promise<void> {
    const l = this.#landed;
    if (!l) return;
    const staging = l.mirror.stagingDir();
    const { name, fh } = await copyIn(l.mirror, this.path, staging ?? this.#dir, l.mtimeMs);
    this.#file = { name, fh, onMember: staging !== null || this.#onMember };
    this.#landed = null;
  }

  /** Lets go of the bytes: the memory back to the budget, or the temp file closed and deleted (after the last handle). */
  async discard(): Promise<void> {
    await this.run(async () => {
      if (this.#mem) {
        this.#budget.give(this.#mem.byteLength);
        this.#mem = null;
        this.#size = 0;
        this.#file = null;
        return;
      }
      const f = this.#file;
      if (!f) return;
      await this.#ahead;
      await f.fh.close().catch(() => {});
      await rm(f.name, { force: true });
    });
  }

  /** Copy-on-open into memory: what the mirror holds now (it goes to a temp file if it grew past what memory takes). */
  async fill(chunks: AsyncIterable<Uint8Array>, mtimeMs: number): Promise<void> {
    let pos = 0;
    for await (const c of chunks) {
      if (this.#mem && this.#room(pos + c.byteLength)) this.#mem.set(c, pos);
      else {
        const fh = await this.#spill();
        let done = 0;
        while (done < c.byteLength) done += (await fh.write(c, done, c.byteLength - done, pos + done)).bytesWritten;
      }
      pos += c.byteLength;
      this.#size = Math.max(this.#size, pos);
    }
    this.#memMtimeMs = mtimeMs;
    // Keep the date it has: a file opened for writing and closed unwritten is committed by nobody, and one written
    // gets the time of that write.
    if (this.#file) await this.#file.fh.utimes(new Date(), new Date(mtimeMs));
  }
}

/**
 * Copy-on-open into a new temp file in `dir`: what the mirror holds at `path` now, with its date kept (a file opened
 * for writing and closed unwritten is committed by nobody, and one written gets the time of that write).
 */
async function copyIn(mirror: Mirror, path: string, dir: string, mtimeMs: number): Promise<{ name: string; fh: FileHandle }> {
  await mkdir(dir, { recursive: true });
  const name = join(dir, `mount-${randomBytes(8).toString('hex')}.stage`);
  const fh = await open(name, 'wx+', 0o600);
  try {
    const reader = await mirror.openReader(path); // a fallback read waits for the behind writes, as any read
    let pos = 0;
    for await (const c of reader.chunks) {
      let done = 0;
      while (done < c.byteLength) done += (await fh.write(c, done, c.byteLength - done, pos + done)).bytesWritten;
      pos += c.byteLength;
    }
    await fh.utimes(new Date(), new Date(mtimeMs));
    return { name, fh };
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(name, { force: true });
    throw e;
  }
}

/** The temp file's bytes in 1 MiB chunks, each a fresh buffer (the engine may hold them as a behind copy). */
async function* chunksOf(fh: FileHandle, size: number): AsyncGenerator<Uint8Array> {
  for (let pos = 0; pos < size;) {
    const buf = new Uint8Array(Math.min(1 << 20, size - pos));
    const { bytesRead } = await fh.read(buf, 0, buf.byteLength, pos);
    if (bytesRead === 0) break;
    pos += bytesRead;
    yield bytesRead === buf.byteLength ? buf : buf.subarray(0, bytesRead);
  }
}

/** Every stage of the mount, by mirror path; at most one per path, shared by all its handles. */
export class Stages {
  readonly #byPath = new Map<string, Stage>();
  /** A stage being made (copied in): a second open of the same path waits for it instead of making another. */
  readonly #making = new Map<string, Promise<Stage>>();
  readonly #fallbackDir: string;
  readonly budget: MemoryBudget;

  /** `fallbackDir`: where files are staged when the mirror has no in-sync fast member to stage on. */
  constructor(fallbackDir: string, budget = new MemoryBudget()) {
    this.#fallbackDir = fallbackDir;
    this.budget = budget;
  }

  /** The stage of `path` now; one being closed is waited for (its last commit lands first): then there is none. */
  async get(path: string): Promise<Stage | undefined> {
    for (;;) {
      const s = this.#byPath.get(path);
      if (!s?.closing) return s;
      await s.closing.catch(() => {});
    }
  }

  /** Stages under `dir` (the folder itself excluded), for listings and for renames of folders. */
  under(dir: string): Stage[] {
    const prefix = dir === '' ? '' : `${dir}/`;
    return [...this.#byPath.values()].filter((s) => s.path.startsWith(prefix) && s.path !== dir && !s.closing);
  }

  all(): Stage[] { return [...this.#byPath.values()]; }

  /**
   * The stage of `path`, made if there is none: a new empty file (`fresh`, for create and O_TRUNC) or a copy of
   * what the mirror holds now (copy-on-open). Counts one more open handle on it.
   */
  async acquire(mirror: Mirror, path: string, o: { fresh: boolean; mode?: number }): Promise<Stage> {
    for (;;) {
      const s = await this.get(path);
      if (s) {
        s.opens++;
        if (o.fresh) await s.truncate(0);
        return s;
      }
      const making = this.#making.get(path);
      if (making) { await making.catch(() => {}); continue; }
      const p = this.#make(mirror, path, o);
      this.#making.set(path, p);
      try {
        const made = await p;
        made.opens++;
        this.#byPath.set(path, made);
        return made;
      } finally {
        this.#making.delete(path);
      }
    }
  }

  async #make(mirror: Mirror, path: string, o: { fresh: boolean; mode?: number }): Promise<Stage> {
    const staging = mirror.stagingDir();
    const dir = staging ?? this.#fallbackDir;
    const onMember = staging !== null;
    let mode = o.mode ?? 0o644;
    if (o.fresh) return new Stage({ path, dir, onMember, budget: this.budget, dirty: true, mode });
    const st = await mirror.stat(path);
    mode = st.mode ?? mode;
    if (st.size <= MEMORY_STAGE_BYTES && this.budget.used + st.size <= this.budget.max) {
      const stage = new Stage({ path, dir, onMember, budget: this.budget, dirty: false, mode });
      try {
        const reader = await mirror.openReader(path); // a fallback read waits for the behind writes, as any read
        await stage.fill(reader.chunks, st.mtimeMs);
      } catch (e) {
        await stage.discard();
        throw e;
      }
      return stage;
    }
    const { name, fh } = await copyIn(mirror, path, dir, st.mtimeMs);
    return new Stage({ path, dir, onMember, budget: this.budget, dirty: false, mode, file: { name, fh, onMember } });
  }

  /** One handle fewer; the last one commits what is left and deletes the temp file. */
  release(mirror: Mirror | null, s: Stage): Promise<void> {
    if (--s.opens > 0) return Promise.resolve();
    s.closing = (async () => {
      try {
        if (mirror && s.dirty && !s.orphan) await s.commit(mirror);
      } finally {
        if (this.#byPath.get(s.path) === s) this.#byPath.delete(s.path);
        await s.discard();
      }
    })();
    return s.closing;
  }

  /** The path was removed or replaced: its stage (if any) is cut loose, still readable and writable by its handles. */
  orphan(path: string): Stage | undefined {
    const s = this.#byPath.get(path);
    if (!s) return undefined;
    s.orphan = true;
    this.#byPath.delete(path);
    return s;
  }

  /** A rename through the mount: stages at `from` (or under it) follow to `to`. */
  moved(from: string, to: string): void {
    const moving = [this.#byPath.get(from), ...this.under(from)].filter((s): s is Stage => s !== undefined);
    for (const s of moving) this.#byPath.delete(s.path);
    for (const s of moving) {
      s.path = s.path === from ? to : `${to}${s.path.slice(from.length)}`;
      this.#byPath.set(s.path, s);
    }
  }
}
