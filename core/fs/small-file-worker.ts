// Stat and checksum many small files in one round trip (scrub of a photo library): a worker thread does the system
// calls one after another, synchronously, instead of eight thread-pool round trips per file on the main thread.
//
// Measured (20,000 files of 1-8 KB on two loop ext4 members, 2 cores): the per-file path (lstat, realpath, open, fstat,
// read, read, close through node:fs/promises) cost ~400 µs of main-thread time per copy, almost all of it handing
// calls to the thread pool and taking the answers back; the checksums themselves were ~3 µs. One worker per drive
// (a NodeFs is one drive's), so a drive that hangs parks its own worker only; WatchdogFs still times the call out.
import { Worker } from 'node:worker_threads';
import type { BulkFile, BulkWritten, FsEntry, FsStat } from './filesystem.ts';

/** What one path holds: its stat (null when nothing is there), and a checksum when it is a small enough file. */
export interface SmallFileHash {
  stat: FsStat | null;
  /** sha256, base64url, as hashStream() gives: only for a file of at most `maxBytes`. */
  hash?: string;
  /** Why the stat failed (other than ENOENT/ENOTDIR, which are stat null) or why the read failed (stat is set). */
  code?: string;
  /** The file's bytes, when asked for (readSmallFiles). */
  data?: Uint8Array;
}

// Plain JavaScript run with `eval`: no file to find at run time, bundled (Electron) or not (tsx). Stats as NodeFs.stat
// does (lstat: a link is 'other' and never followed), opens O_NOFOLLOW as NodeFs.readStream does, and writes as
// NodeFs.createAtomic does with durable: false (temp file beside, attributes through the handle, rename over).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { join, parse } = require('node:path');
const { createHash, randomBytes } = require('node:crypto');
const buf = Buffer.allocUnsafe(1 << 20);
const NOFOLLOW = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW || 0);
const NO_MODES = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);
const typeOf = (s) => (s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other');
const statOf = (s) => ({ type: typeOf(s), size: s.size, mtimeMs: s.mtimeMs, ino: s.ino, mode: s.mode & 0o777 });
// ConfinedFs's rule, checked here right before the call: no folder from \`within\` down to \`dir\` is a link (or another
// special entry). Answers the first such folder, or null. A folder that does not resolve is looked at from above, as
// ConfinedFs does: a missing one holds nothing to follow (the call fails by itself), a dangling link is still a link.
function throughLink(dir, within) {
  if (!within || dir === within || !dir.startsWith(within + '/')) return null;
  try {
    if (fs.realpathSync.native(dir) === dir) return null;
  } catch (e) {
    if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') return null; // the call meets the same error itself
    const above = throughLink(dirOf(dir), within);
    if (above) return above;
    let s;
    try { s = fs.lstatSync(dir); } catch { return null; }
    return s.isDirectory() || s.isFile() ? null : dir;
  }
  let p = within;
  for (const name of dir.slice(within.length + 1).split('/')) {
    p += '/' + name;
    let s;
    try { s = fs.lstatSync(p); } catch { return p; }
    if (!s.isDirectory()) return p;
  }
  return dir;
}
const dirOf = (p) => p.slice(0, p.lastIndexOf('/')) || '/';
function look(p, maxBytes, withData, within, seen) {
  const dir = dirOf(p);
  const link = checked(dir, within, seen);
  if (link) return { stat: null, code: 'ESYMLINK', link };
  let s;
  try { s = fs.lstatSync(p); } catch (e) {
    return e.code === 'ENOENT' || e.code === 'ENOTDIR' ? { stat: null } : { stat: null, code: e.code || 'EIO' };
  }
  const stat = statOf(s);
  if (stat.type !== 'file' || s.size > maxBytes) return { stat };
  let fd;
  try {
    fd = fs.openSync(p, NOFOLLOW);
    const h = createHash('sha256');
    const parts = [];
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      if (withData) parts.push(Buffer.from(buf.subarray(0, n)));
      total += n;
      if (withData && total > maxBytes) return { stat }; // it grew past the limit: read it as a stream
    }
    return withData ? { stat, hash: h.digest('base64url'), data: Buffer.concat(parts, total) } : { stat, hash: h.digest('base64url') };
  } catch (e) {
    return { stat, code: e.code || 'EIO' };
  } finally {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
  }
}
// A bulk copy's write (writeFileBulk): prepare() without the fdatasync, then the rename; syncfs makes it durable.
// \`seen\`: folders already checked in this batch (as look() keeps them), one realpath per folder instead of two per file.
function write(m, seen) {
  const link = checked(dirOf(m.target), m.within, seen);
  if (link) return { stat: null, code: 'ESYMLINK', link };
  const r = prepare({ ...m, durable: false }, seen);
  if (!r.tmp) return r;
  try {
    fs.renameSync(r.tmp, m.target);
    return { stat: r.stat };
  } catch (e) {
    try { fs.unlinkSync(r.tmp); } catch {}
    return fail(e);
  }
}
// A durable small write (NodeFs.createSmallAtomic): the same steps as NodeFs's atomic writer, in the same order, done
// here one after another: 'prepare' writes the temp file (attributes, fdatasync, fstat, close), 'land' renames it
// over the target and fsyncs the folder, 'drop' removes it. Each folder is checked for links right before its use.
const fail = (e) => ({ stat: null, code: e.code || 'EIO', message: e.message });
const NO_DIR_SYNC = new Set(['EINVAL', 'ENOTSUP', 'EPERM', 'ENOSYS']);
function fsyncDir(dir) {
  const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  try { fs.fsyncSync(fd); } catch (e) { if (!NO_DIR_SYNC.has(e.code)) throw e; } finally { fs.closeSync(fd); }
}
function checked(dir, within, seen) {
  if (!seen) return throughLink(dir, within);
  let link = seen.get(dir);
  if (link === undefined) seen.set(dir, (link = throughLink(dir, within)));
  return link;
}
function prepare({ target, tmpDir, data, mtimeMs, mode, durable, within }, seen) {
  const link = checked(tmpDir, within, seen);
  if (link) return { stat: null, code: 'ESYMLINK', link };
  const tmp = join(tmpDir, parse(target).base.slice(0, 40) + '.' + randomBytes(6).toString('hex') + '.tmp');
  let fd;
  try {
    fd = fs.openSync(tmp, 'wx');
    for (let off = 0; off < data.byteLength;) off += fs.writeSync(fd, data, off, data.byteLength - off);
    if (mode !== undefined) try { fs.fchmodSync(fd, mode); } catch (e) { if (!NO_MODES.has(e.code)) throw e; }
    if (mtimeMs !== undefined) fs.futimesSync(fd, Date.now() / 1000, mtimeMs / 1000 + 5e-7);
    if (durable) fs.fdatasyncSync(fd);
    const stat = statOf(fs.fstatSync(fd));
    fs.closeSync(fd);
    fd = undefined;
    return { stat, tmp };
  } catch (e) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch {}
    try { fs.unlinkSync(tmp); } catch {}
    return fail(e);
  }
}
function land({ tmp, target, durable, within }) {
  const dir = dirOf(target);
  try {
    const link = throughLink(dir, within);
    if (link) { try { fs.unlinkSync(tmp); } catch {} return { stat: null, code: 'ESYMLINK', link }; }
    fs.renameSync(tmp, target);
  } catch (e) {
    try { fs.unlinkSync(tmp); } catch {}
    return fail(e);
  }
  try { if (durable) fsyncDir(dir); } catch (e) { return fail(e); }
  return { stat: { type: 'file' } };
}
// One path's stat as NodeFs.stat gives it (lstat), its folder checked for links first: ConfinedFs.stat in one call.
function statOne({ path, within }) {
  const link = throughLink(dirOf(path), within);
  if (link) return { stat: null, code: 'ESYMLINK', link };
  try { return { stat: statOf(fs.lstatSync(path)) }; } catch (e) { return fail(e); }
}
// A folder's entries as NodeFs.readdir gives them, the folders below \`within\` checked for links first: ConfinedFs.readdir
// in one call.
function list({ path, within }) {
  const link = throughLink(path, within);
  if (link) return { stat: null, code: 'ESYMLINK', link };
  try {
    return { stat: null, entries: fs.readdirSync(path, { withFileTypes: true }).map((d) => ({ name: d.name, type: typeOf(d) })) };
  } catch (e) { return fail(e); }
}
function drop({ tmp }) {
  try { fs.unlinkSync(tmp); } catch {}
  return { stat: null };
}
// A big file read whole (a manifest of a million files is ~100 MB) through the caller's open file (\`fd\`: descriptors
// are the process's, so it is the very file the caller opened and checked). Every page is touched here once: the
// first touch of fresh memory is slow (~2.5 ms per MiB on the machines measured), paid on this thread instead of the
// caller's; the memory is then moved to the caller, not copied.
function readWhole({ fd }) {
  try {
    const size = fs.fstatSync(fd).size;
    const bytes = new Uint8Array(new ArrayBuffer(size));
    let n = 0;
    for (let got = -1; n < size && got !== 0; n += got) got = fs.readSync(fd, bytes, n, size - n, n);
    const more = [];
    for (let got = -1, at = n; n === size && got !== 0; at += got) { // grown since the stat: what was added, too
      const b = Buffer.allocUnsafe(1 << 20);
      got = fs.readSync(fd, b, 0, b.length, at);
      if (got > 0) more.push(b.subarray(0, got));
    }
    let sum = 0;
    for (let i = 0; i < n; i += 4096) sum += bytes[i];
    const whole = more.length ? new Uint8Array(Buffer.concat([bytes, ...more])) : n === size ? bytes : bytes.slice(0, n);
    return { bytes: whole, sum };
  } catch (e) {
    return { error: fail(e) };
  }
}
const ONE = { write, prepare, land, drop, stat: statOne, list };
parentPort.on('message', (m) => {
  if (ONE[m.op]) return parentPort.postMessage({ id: m.id, out: [ONE[m.op](m)] });
  if (m.op === 'readWhole') {
    const r = readWhole(m);
    if (r.error) return parentPort.postMessage({ id: m.id, out: [r.error] });
    return parentPort.postMessage({ id: m.id, out: [], whole: r.bytes }, [r.bytes.buffer]);
  }
  if (m.op === 'writeMany') {
    const seen = new Map();
    const out = m.files.map((f) => write({ ...f.attrs, target: f.target, data: m.bytes.subarray(f.at, f.at + f.size), tmpDir: m.tmpDir, within: m.within }, seen));
    return parentPort.postMessage({ id: m.id, out });
  }
  const seen = new Map();
  const out = m.paths.map((p) => look(p, m.maxBytes, m.withData, m.within, seen));
  if (!m.withData) return parentPort.postMessage({ id: m.id, out });
  // The files' bytes in one piece of memory, moved (each file's own buffer moved one by one cost more than this copy).
  const bytes = new Uint8Array(out.reduce((n, r) => n + (r.data ? r.data.byteLength : 0), 0));
  let at = 0;
  for (const r of out) if (r.data) { bytes.set(r.data, at); r.at = at; r.size = r.data.byteLength; at += r.size; delete r.data; }
  parentPort.postMessage({ id: m.id, out, bytes }, [bytes.buffer]);
});
`;

/**
 * Files up to this size go through the worker whole (checksummed in one call by scrub, copied in one call each side by
 * a bulk copy); bigger ones are streamed, each on its own. 256 KiB: a photo library's thumbnails and documents, while
 * a batch of 64 stays a few MiB of messages.
 */
export const SMALL_FILE_BYTES = 256 * 1024;

/** A worker's answer: one result per path or step; readWhole's bytes. */
interface Answer { out: SmallFileHash[]; whole?: Uint8Array }

/** A worker that lives while it has work, and a little after (a scrub sends batch after batch). */
export class SmallFileWorker {
  #worker?: Worker;
  #nextId = 0;
  readonly #pending = new Map<number, { resolve(v: Answer): void; reject(e: Error): void }>();
  #idle?: NodeJS.Timeout;

  constructor(readonly idleMs = 2000) {}

  /** `within`: refuse (code ESYMLINK) a path whose folder below `within` is reached through a link. */
  hash(paths: readonly string[], maxBytes: number, o: { withData?: boolean; within?: string } = {}): Promise<SmallFileHash[]> {
    if (paths.length === 0) return Promise.resolve([]);
    return this.#ask({ op: 'look', paths, maxBytes, ...o });
  }

  /** Stats only: each path lstat'ed as NodeFs.stat does, no file opened (a big folder's names in one call). */
  statMany(paths: readonly string[], within?: string): Promise<SmallFileHash[]> {
    return this.hash(paths, -1, within === undefined ? {} : { within });
  }

  /**
   * Writes `data` as `target` through a temp file in `tmpDir` renamed over it, with the time and mode given, and no
   * fsync (a bulk copy: syncFilesystem makes it durable); resolves with the stat of what landed.
   */
  async write(target: string, tmpDir: string, data: Uint8Array, attrs: { mtimeMs?: number; mode?: number }, within?: string): Promise<FsStat> {
    const [r] = await this.#ask({ op: 'write', target, tmpDir, data, within, ...attrs }) as (SmallFileHash & { message?: string; link?: string })[];
    if (!r!.stat) throw Object.assign(new Error(r!.message ?? `${r!.code}: writing ${target}`), { code: r!.code, link: r!.link });
    return r!.stat;
  }

  /**
   * write() of many files in one message, each answering for itself. Their bytes go in one piece of memory, moved to
   * the worker (moving 64 buffers one by one cost more than copying them into one).
   */
  async writeMany(files: readonly BulkFile[], tmpDir: string, within?: string): Promise<BulkWritten[]> {
    if (files.length === 0) return [];
    const bytes = new Uint8Array(files.reduce((n, f) => n + f.data.byteLength, 0));
    let at = 0;
    const sent = files.map((f) => {
      bytes.set(f.data, at);
      at += f.data.byteLength;
      return { target: f.target, attrs: f.attrs, at: at - f.data.byteLength, size: f.data.byteLength };
    });
    return await this.#ask({ op: 'writeMany', files: sent, bytes, tmpDir, within }, [bytes.buffer]) as BulkWritten[];
  }

  /** The bytes of the file open as `fd`, read and touched in the worker (a big file: NodeFs.readFile), moved here. */
  async readWhole(fd: number, path: string): Promise<Uint8Array> {
    const { out, whole } = await this.#send({ op: 'readWhole', fd });
    const r = out[0] as (SmallFileHash & { message?: string }) | undefined;
    if (!whole) throw Object.assign(new Error(r?.message ?? `${r?.code ?? 'EIO'}: reading ${path}`), { code: r?.code ?? 'EIO' });
    return whole;
  }

  /** Calls sent and not answered yet: NodeFs spreads its durable small writes over a few workers by this. */
  get pending(): number { return this.#pending.size; }

  /**
   * One step of a durable small write (NodeFs.createSmallAtomic): resolves with what the worker answered, throws its
   * error (with its code, and `link` for ESYMLINK) when the step failed.
   */
  async step(op: 'prepare' | 'land' | 'drop' | 'stat' | 'list', msg: object): Promise<{ stat: FsStat | null; tmp?: string; entries?: FsEntry[] }> {
    const [r] = await this.#ask({ op, ...msg }) as (SmallFileHash & { message?: string; link?: string; tmp?: string; entries?: FsEntry[] })[];
    if (r!.code) throw Object.assign(new Error(r!.message ?? `${r!.code}: ${op} of a small file`), { code: r!.code, link: r!.link });
    return { stat: r!.stat, ...(r!.tmp ? { tmp: r!.tmp } : {}), ...(r!.entries ? { entries: r!.entries } : {}) };
  }

  /** `moved`: memory of the caller's own, handed to the worker without a copy (the caller does not use it again). */
  async #ask(msg: object, moved: ArrayBuffer[] = []): Promise<SmallFileHash[]> {
    return (await this.#send(msg, moved)).out;
  }

  #send(msg: object, moved: ArrayBuffer[] = []): Promise<Answer> {
    const w = this.#ensure();
    clearTimeout(this.#idle);
    w.ref(); // a caller awaiting this answer keeps the process alive
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      w.postMessage({ id, ...msg }, moved);
    });
  }

  /** Ends the worker if no call is waiting on it (filesystem.ts, release); resolves once its thread is gone. */
  async closeIfIdle(): Promise<void> {
    if (this.#pending.size === 0) await this.close();
  }

  /** Ends the worker now (the drive leaves the mirror); calls still waiting fail. Resolves once its thread is gone. */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    clearTimeout(this.#idle);
    this.#failAll(new Error('the checksum worker was closed'));
    await w?.terminate();
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.on('message', (m: Answer & { id: number; out: (SmallFileHash & { at?: number; size?: number })[]; bytes?: Uint8Array }) => {
      if (m.bytes) {
        for (const r of m.out) if (r.size !== undefined) { r.data = m.bytes.subarray(r.at!, r.at! + r.size); delete r.at; delete r.size; }
      }
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      p?.resolve(m);
      if (this.#pending.size === 0 && this.#worker === w) {
        w.unref(); // nothing asked: an idle worker never holds the process open
        this.#idle = setTimeout(() => { if (this.#pending.size === 0 && this.#worker === w) void this.close(); }, this.idleMs).unref();
      }
    });
    w.on('error', (e) => { if (this.#worker === w) { this.#worker = undefined; this.#failAll(e); } });
    w.on('exit', () => { if (this.#worker === w) { this.#worker = undefined; this.#failAll(new Error('the checksum worker stopped')); } });
    this.#worker = w;
    return w;
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }
}
