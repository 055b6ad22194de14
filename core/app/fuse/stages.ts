// Files open for writing through the mount: each one staged whole (copied in when opened, as rclone mount
// --vfs-cache-mode writes does), written at offsets there, and committed as one engine write on close and on fsync.
// Readers elsewhere see the last committed version; readers through the mount see the stage. A small file is staged in
// memory (a stage is never durable, so memory loses nothing a temp file would keep); one that grows past
// MEMORY_STAGE_BYTES, or finds the memory budget spent, moves to a temp file in the fast member's `.nas-mirror/`.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Mirror } from '../../index.ts';
import { FLUSH_AHEAD_BYTES } from '../../fs/node-fs.ts';
import { giveChunk, takeChunk } from '../../fs/chunk-pool.ts';
import { StageHasher, type HashJob } from './stage-hasher.ts';

/**
 * A file staged in memory up to this size. Untarring thousands of small files then costs no temp file per file
 * (create, fstat per getattr, read back, close, delete: about 5 ms a file measured on a loop ext4 drive).
 */
export const MEMORY_STAGE_BYTES = 1 << 20;
/** Every stage held in memory at once, together: past it a stage goes to a temp file. */
export const MEMORY_BUDGET_BYTES = 64 << 20;
/**
 * How far the copies (Stage #seq) may run behind the stage: a FUSE write returns once the stage has its bytes, and the
 * copies are written a 1 MiB chunk at a time behind it (each write waiting for the slower drive doubled the time of a
 * write's round trip here, p90 0.2 → 0.8 ms). The commit waits for them.
 */
export const COPY_BEHIND_BYTES = 16 << 20;

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
/** A copy of the stage's temp file in another fast member's staging folder, written with it (it lands there too). */
interface CopyFile { name: string; fh: FileHandle }

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
  /**
   * A file written from its start straight to its end (the way cp, dd, rsync, tar and Samba write one): `end` is
   * how far, and once in a temp file on a member, `job` its SHA-256 taken behind the writes (stage-hasher.ts), and
   * `copies` the same bytes in every other fast member's staging folder, written beside the temp file. So the commit
   * lands a file on every fast member without reading it back or copying it (Mirror.writeStaged's copies and
   * checksum). Rule: any change that is not the next bytes at `end` — a write elsewhere, a truncate other than to 0,
   * a copy taken in, a failed write — ends it (`#seq` null, the job dropped, the copies deleted); the commit then
   * reads the temp file as before. Checksum and copies only ever describe exactly the bytes of the temp file.
   */
  #seq: { end: number; job: HashJob | null } | null;
  #copies: CopyFile[] = [];
  /** A copy's write or flush failed: the copies go before anything else is done with them. */
  #copyFailed = false;
  /** The next bytes for the copies, gathered in a pool chunk (written to every copy once full). */
  #gather: { chunk: Buffer; start: number; filled: number } | null = null;
  /** Chunks being written to the copies, oldest first, and their bytes together. */
  #copying: { done: Promise<void>; bytes: number }[] = [];
  #copyingBytes = 0;
  /** The staging folders of the other fast members now (none when the host gives none). */
  readonly #copyDirs: () => string[];
  readonly #hasher: StageHasher | undefined;

  constructor(o: {
    path: string; dir: string; onMember?: boolean; budget: MemoryBudget; dirty: boolean; mode: number; file?: StageFile;
    copyDirs?: () => string[]; hasher?: StageHasher;
  }) {
    this.path = o.path;
    this.#dir = o.dir;
    this.#onMember = o.onMember === true;
    this.#budget = o.budget;
    this.dirty = o.dirty;
    this.mode = o.mode;
    this.#copyDirs = o.copyDirs ?? (() => []);
    this.#hasher = o.hasher;
    if (o.file) this.#file = o.file;
    else this.#mem = new Uint8Array(0);
    // A new empty file (create, O_TRUNC) is written from its start; a copy taken in is not followed.
    this.#seq = o.dirty && !o.file ? { end: 0, job: null } : null;
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
    if (this.#seq && this.#onMember) {
      const bytes = this.#mem!.subarray(0, this.#size);
      this.#seq.job = this.#hasher?.follow(name) ?? null;
      this.#copies = await makeCopies(this.#copyDirs(), bytes, this.#memMtimeMs);
    } else this.#seq = null;
    this.#budget.give(this.#mem!.byteLength);
    this.#mem = null;
    return fh;
  }

  /**
   * Follows a write of `buf` at `pos` (#seq): the next bytes move its end on; anything else ends the following.
   */
  #follow(buf: Uint8Array, pos: number): void {
    if (!this.#seq) return;
    if (pos === this.#seq.end) this.#seq.end += buf.byteLength;
    else this.#unfollow();
  }

  /** The file is no longer followed (#seq): its checksum job ends; the copies go at the next step that can wait. */
  #unfollow(): void {
    this.#seq?.job?.drop();
    this.#seq = null;
  }

  /** The copies get `buf`, the next bytes at `pos`, behind the stage (COPY_BEHIND_BYTES): copied now, written later. */
  async #copyBehind(buf: Uint8Array, pos: number): Promise<void> {
    if (this.#gather && this.#gather.start + this.#gather.filled !== pos) this.#sendGathered();
    for (let off = 0; off < buf.byteLength;) {
      const g = (this.#gather ??= { chunk: takeChunk(), start: pos + off, filled: 0 });
      const n = Math.min(buf.byteLength - off, g.chunk.byteLength - g.filled);
      g.chunk.set(buf.subarray(off, off + n), g.filled);
      g.filled += n;
      off += n;
      if (g.filled === g.chunk.byteLength) this.#sendGathered();
    }
    while (this.#copyingBytes > COPY_BEHIND_BYTES) await this.#copying[0]!.done;
  }

  /** Writes the gathered bytes to every copy (not awaited here: #copiesWritten and #copyBehind wait). */
  #sendGathered(): void {
    const g = this.#gather;
    if (!g) return;
    this.#gather = null;
    const copies = this.#copies;
    const bytes = g.chunk.subarray(0, g.filled);
    const entry = { bytes: g.filled, done: Promise.resolve() };
    entry.done = Promise.all(copies.map((c) => writeAt(c.fh, bytes, g.start)))
      // The chunk goes back to the pool once written; not after a failure, which a hung drive may still be holding.
      .then(() => giveChunk(g.chunk), () => { this.#copyFailed = true; })
      .finally(() => {
        this.#copying.splice(this.#copying.indexOf(entry), 1);
        this.#copyingBytes -= entry.bytes;
      });
    this.#copying.push(entry);
    this.#copyingBytes += entry.bytes;
  }

  /** Every byte given to the copies is written (before they are cut, landed or closed). */
  async #copiesWritten(): Promise<void> {
    this.#sendGathered();
    while (this.#copying.length > 0) await this.#copying[0]!.done;
  }

  /** Deletes the copies (a failure, a change they cannot follow, or the stage's end), after any flush of them. */
  async #dropCopies(): Promise<void> {
    if (this.#gather) { giveChunk(this.#gather.chunk); this.#gather = null; }
    while (this.#copying.length > 0) await this.#copying[0]!.done;
    const copies = this.#copies;
    this.#copies = [];
    this.#copyFailed = false;
    if (copies.length === 0) return;
    await this.#ahead;
    await Promise.all(copies.map(async (c) => { await c.fh.close().catch(() => {}); await rm(c.name, { force: true }); }));
  }

  async write(buf: Uint8Array, pos: number): Promise<number> {
    return this.run(async () => {
      await this.#unland();
      const end = pos + buf.byteLength;
      if (this.#mem && this.#room(end)) {
        this.#mem.set(buf, pos);
        this.#size = Math.max(this.#size, end);
        this.#memMtimeMs = Date.now();
        this.#follow(buf, pos);
      } else {
        const fh = await this.#spill();
        try {
          await writeAt(fh, buf, pos);
        } catch (e) {
          this.#unfollow(); // what the stage holds is no longer known
          throw e;
        }
        this.#follow(buf, pos);
        // The copies are written behind the stage (each on its own drive), the checksum behind both (#seq).
        if (this.#seq && this.#copies.length > 0 && !this.#copyFailed) await this.#copyBehind(buf, pos);
        if (!this.#seq || this.#copyFailed) await this.#dropCopies();
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
      // Cut to nothing, the file is written from its start again (its copies cut too); cut anywhere else, not followed.
      if (size === 0) {
        // Written from its start again: followed anew, with new copies (a file in memory gets them if it spills).
        this.#unfollow();
        await this.#dropCopies();
        const f = this.#file;
        this.#seq = { end: 0, job: f?.onMember ? this.#hasher?.follow(f.name) ?? null : null };
        if (f?.onMember) this.#copies = await makeCopies(this.#copyDirs(), new Uint8Array(0), Date.now());
      } else if (size !== this.#seq?.end) {
        this.#unfollow();
        await this.#dropCopies();
      }
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
      await this.#copiesWritten();
      if (this.#copyFailed) await this.#dropCopies();
      if (this.#file?.onMember) {
        // The temp file is on a member's drive, beside where the file goes: it lands itself there, and only the other
        // members get a copy (one write of the bytes fewer, and no second copy to read back) — none at all for a
        // member that has a copy written beside it, and nothing is read back when every member has one (#seq).
        const f = this.#file;
        // The file is followed no more from here, whatever the commit does: its checksum is taken now or never.
        const followed = this.#seq;
        this.#seq = null;
        const sha256 = followed?.end === size ? await followed.job?.digest(size) : followed?.job?.drop();
        const seq = sha256 ? { sha256, size } : {};
        // A copy lands only on a member that still stages (one removed from the mirror meanwhile has no say).
        const dirs = new Set(mirror.stagingDirs());
        const copies = this.#copies.filter((c) => dirs.has(dirname(c.name))).map((c) => c.name);
        try {
          await mirror.writeStaged(this.path, f.name, attrs, { copies, ...seq });
        } catch (e) {
          await this.#dropCopies(); // left to the host by a failed write; the next commit reads the stage instead
          throw e;
        }
        await this.#dropCopies(); // landed (gone from the staging folders), or not passed on: deleted here
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
    if (this.#seq) this.#seq.job?.upTo(this.#seq.end); // written back from here on: the checksum may read it
    this.#ahead = Promise.all([
      fh.datasync().catch((e: unknown) => { this.#aheadError ??= e; }),
      ...this.#copies.map((c) => c.fh.datasync().catch(() => { this.#copyFailed = true; })),
    ]).then(() => {}).finally(() => { this.#ahead = undefined; });
  }

  /** A landed stage gets its bytes again: the mirror's file copied into a new temp file (called in the queue). */
  async #unland(): Promise<void> {
    const l = this.#landed;
    if (!l) return;
    const staging = l.mirror.stagingDir();
    const { name, fh } = await copyIn(l.mirror, this.path, staging ?? this.#dir, l.mtimeMs);
    this.#file = { name, fh, onMember: staging !== null || this.#onMember };
    this.#landed = null;
    this.#unfollow(); // bytes taken in are not followed
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
      this.#unfollow();
      await this.#dropCopies();
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

/** Writes all of `buf` at `pos`. */
async function writeAt(fh: FileHandle, buf: Uint8Array, pos: number): Promise<void> {
  let done = 0;
  while (done < buf.byteLength) done += (await fh.write(buf, done, buf.byteLength - done, pos + done)).bytesWritten;
}

/**
 * A copy holding `bytes` in each of `dirs` (Stage.#seq). One that cannot be made is left out (and nothing of it left
 * behind): its member gets a copy read from the stage at the commit, as without copies.
 */
async function makeCopies(dirs: string[], bytes: Uint8Array, mtimeMs: number): Promise<CopyFile[]> {
  const made = await Promise.all(dirs.map(async (dir): Promise<CopyFile | null> => {
    const name = join(dir, `mount-${randomBytes(8).toString('hex')}.stage`);
    let fh: FileHandle | undefined;
    try {
      fh = await open(name, 'wx+', 0o600);
      await writeAt(fh, bytes, 0);
      await fh.utimes(new Date(), new Date(mtimeMs));
      return { name, fh };
    } catch {
      await fh?.close().catch(() => {});
      await rm(name, { force: true });
      return null;
    }
  }));
  return made.filter((c): c is CopyFile => c !== null);
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
  /** The checksums of files written from their start, taken behind the writes (Stage #seq). */
  readonly hasher = new StageHasher();

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
    const copyDirs = () => mirror.stagingDirs().filter((d) => d !== dir);
    if (o.fresh) return new Stage({ path, dir, onMember, budget: this.budget, dirty: true, mode, copyDirs, hasher: this.hasher });
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
