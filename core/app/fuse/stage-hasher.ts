// The checksum of a file a mount writes from its start to its end (stages.ts, Stage #seq), taken behind the writes by
// a worker thread that reads back what has been written from the stage's temp file while it is still in the page
// cache. So a FUSE write's round trip does not wait for SHA-256 (~80 µs per 128 KiB write measured here, 0.66 s a
// GiB, on the main thread that answers every FUSE call), and the commit finds the checksum nearly done.
//
// Rule: a job reads only bytes the stage has told it are written for good (upTo: the file is followed only while each
// write is the next bytes at its end, so they never change after); anything else ends the job (drop), and a job that
// failed in any way gives no checksum (digest resolves null): the commit then reads the file as it would without one.
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const { createHash } = require('node:crypto');
const buf = Buffer.allocUnsafe(1 << 20);
const jobs = new Map();
function advance(j, to) {
  try {
    while (!j.failed && j.at < to) {
      const n = fs.readSync(j.fd, buf, 0, Math.min(buf.length, to - j.at), j.at);
      if (n === 0) { j.failed = true; break; }
      j.hash.update(buf.subarray(0, n));
      j.at += n;
    }
  } catch { j.failed = true; }
}
parentPort.on('message', (m) => {
  if (m.op === 'start') {
    try { jobs.set(m.id, { fd: fs.openSync(m.file, 'r'), hash: createHash('sha256'), at: 0, failed: false }); } catch {}
    return;
  }
  const j = jobs.get(m.id);
  if (m.op === 'upTo') { if (j) advance(j, m.to); return; }
  if (j && m.op === 'digest') advance(j, m.to);
  if (j) { jobs.delete(m.id); try { fs.closeSync(j.fd); } catch {} }
  if (m.op !== 'digest') return;
  parentPort.postMessage({ id: m.id, sha256: j && !j.failed && j.at === m.to ? j.hash.digest('base64url') : null });
});
`;

/** One file followed: what is final so far, and its checksum at the end. */
export interface HashJob {
  /** The first `n` bytes are written and will not change: the worker may read them now. */
  upTo(n: number): void;
  /** The SHA-256 (base64url) of the first `n` bytes, or null if the job failed; the job ends. */
  digest(n: number): Promise<string | null>;
  /** The job ends without a checksum (the file changed in another way, or goes). */
  drop(): void;
}

/** The worker of one mount's stages; it lives while files are followed, and ends a little after the last. */
export class StageHasher {
  #worker?: Worker;
  #nextId = 0;
  #jobs = 0;
  readonly #pending = new Map<number, (sha256: string | null) => void>();
  #idle?: NodeJS.Timeout;

  constructor(readonly idleMs = 2000) {}

  /** Starts following `file` from its first byte. */
  follow(file: string): HashJob {
    const w = this.#ensure();
    clearTimeout(this.#idle);
    const id = this.#nextId++;
    this.#jobs++;
    let open = true;
    const end = () => {
      if (!open) return;
      open = false;
      if (this.#worker === w && --this.#jobs === 0) this.#idleSoon(w); // a job of a worker gone was counted with it
    };
    w.postMessage({ op: 'start', id, file });
    return {
      upTo: (n) => { if (open && this.#worker === w) w.postMessage({ op: 'upTo', id, to: n }); },
      digest: (n) => {
        if (!open) return Promise.resolve(null);
        end();
        if (this.#worker !== w) return Promise.resolve(null);
        w.ref(); // the commit awaiting it keeps the process alive
        return new Promise((resolve) => {
          this.#pending.set(id, resolve);
          w.postMessage({ op: 'digest', id, to: n });
        });
      },
      drop: () => {
        if (!open) return;
        end();
        if (this.#worker === w) w.postMessage({ op: 'drop', id });
      },
    };
  }

  /** Ends the worker now; checksums still awaited resolve null. */
  async close(): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    clearTimeout(this.#idle);
    this.#answerAll(null);
    await w?.terminate();
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.unref(); // following a file never holds the process open; awaiting a digest does
    w.on('message', (m: { id: number; sha256: string | null }) => {
      const p = this.#pending.get(m.id);
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) {
        w.unref();
        if (this.#jobs === 0) this.#idleSoon(w);
      }
      p?.(m.sha256);
    });
    const gone = () => { if (this.#worker === w) { this.#worker = undefined; this.#jobs = 0; this.#answerAll(null); } };
    w.on('error', gone);
    w.on('exit', gone);
    this.#worker = w;
    return w;
  }

  #idleSoon(w: Worker): void {
    clearTimeout(this.#idle);
    this.#idle = setTimeout(() => { if (this.#jobs === 0 && this.#pending.size === 0 && this.#worker === w) void this.close(); }, this.idleMs).unref();
  }

  #answerAll(sha256: string | null): void {
    for (const p of this.#pending.values()) p(sha256);
    this.#pending.clear();
  }
}
