// Files open for writing through the mount: each one staged whole in a temp file (copied in when opened, as rclone
// mount --vfs-cache-mode writes does), written at offsets there, and committed as one engine write on close and on
// fsync. Readers elsewhere see the last committed version; readers through the mount see the stage.
import { randomBytes } from 'node:crypto';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Mirror } from '../../index.ts';

/** One path being written through the mount: the temp file every handle opened for writing on it shares. */
export class Stage {
  /** The mirror path; a rename through the mount moves it along. */
  path: string;
  readonly file: string;
  readonly fh: FileHandle;
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
  /** Operations on the temp file and commits, one at a time: a commit never reads a half-written write. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(o: { path: string; file: string; fh: FileHandle; dirty: boolean; mode: number }) {
    this.path = o.path;
    this.file = o.file;
    this.fh = o.fh;
    this.dirty = o.dirty;
    this.mode = o.mode;
  }

  /** Runs `fn` after everything queued on this stage before it. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const r = this.#queue.then(fn);
    this.#queue = r.catch(() => {});
    return r;
  }

  async write(buf: Uint8Array, pos: number): Promise<number> {
    return this.run(async () => {
      let done = 0;
      while (done < buf.byteLength) done += (await this.fh.write(buf, done, buf.byteLength - done, pos + done)).bytesWritten;
      this.dirty = true;
      this.mtimeMs = undefined; // a write after a utimens moves the time again, as on any filesystem
      return done;
    });
  }

  async read(buf: Uint8Array, len: number, pos: number): Promise<number> {
    return (await this.fh.read(buf, 0, len, pos)).bytesRead;
  }

  truncate(size: number): Promise<void> {
    return this.run(async () => {
      await this.fh.truncate(size);
      this.dirty = true;
      this.mtimeMs = undefined;
    });
  }

  async stat(): Promise<{ size: number; mtimeMs: number }> {
    const s = await this.fh.stat();
    return { size: s.size, mtimeMs: this.mtimeMs ?? s.mtimeMs };
  }

  /**
   * One engine write of the whole temp file, if it changed since the last: resolves once acknowledged (durable on
   * every fast member), which is when close and fsync return to the program.
   */
  commit(mirror: Mirror): Promise<void> {
    return this.run(async () => {
      if (!this.dirty || this.orphan) return;
      const { size, mtimeMs } = await this.stat();
      await mirror.writeFile(this.path, chunksOf(this.fh, size), { mtimeMs, mode: this.mode });
      this.dirty = false;
    });
  }

  /** Closes and deletes the temp file (after the last handle is released). */
  async discard(): Promise<void> {
    await this.run(async () => {
      await this.fh.close().catch(() => {});
      await rm(this.file, { force: true });
    });
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

  /** `fallbackDir`: where files are staged when the mirror has no in-sync fast member to stage on. */
  constructor(fallbackDir: string) { this.#fallbackDir = fallbackDir; }

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
    const dir = mirror.stagingDir() ?? this.#fallbackDir;
    await mkdir(dir, { recursive: true });
    const file = join(dir, `mount-${randomBytes(8).toString('hex')}.stage`);
    const fh = await open(file, 'wx+', 0o600);
    try {
      let mode = o.mode ?? 0o644;
      if (!o.fresh) {
        const st = await mirror.stat(path);
        mode = st.mode ?? mode;
        const reader = await mirror.openReader(path); // a fallback read waits for the behind writes, as any read
        let pos = 0;
        for await (const c of reader.chunks) {
          let done = 0;
          while (done < c.byteLength) done += (await fh.write(c, done, c.byteLength - done, pos + done)).bytesWritten;
          pos += c.byteLength;
        }
        // Keep the date it has: a file opened for writing and closed unwritten is committed by nobody, and one
        // written gets the time of that write.
        await fh.utimes(new Date(), new Date(st.mtimeMs));
      }
      return new Stage({ path, file, fh, dirty: o.fresh, mode });
    } catch (e) {
      await fh.close().catch(() => {});
      await rm(file, { force: true });
      throw e;
    }
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
