// What the WebDAV share keeps beside the mirror: dead properties (PROPPATCH), durable in the server's config folder,
// and locks (LOCK), in memory. Neither goes into the mirror: a member folder holds the user's files and nothing else.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NodeFs } from '../../index.ts';
import { isAtOrUnder as isUnder } from './dav-paths.ts';

/** A dead property's value as nephele hands it over: text, or an xml2js object (JSON-safe). */
export type PropValue = string | object;
export type PropMap = Record<string, PropValue>;

/** One PROPPATCH instruction, as nephele's Properties.runInstructions receives it. */
export type PropInstruction = ['set' | 'remove', string, unknown];

/** Past this many bytes of properties in all, a PROPPATCH that adds more is refused (507): no client fills the disk. */
export const MAX_PROPERTY_BYTES = 16 << 20;

const FILE = 'webdav-properties.json';

interface StoredFile { version: 1; mirrors: Record<string, Record<string, PropMap>> }

const rebase = (p: string, from: string, to: string) => (p === from ? to : `${to}${p.slice(from.length)}`);

/**
 * Dead properties by mirror id and mirror path, in one JSON file replaced atomically (temp, fsync, rename, fsync the
 * folder) on every change, so a PROPPATCH is answered only once its properties survive a crash. Writes are serialised;
 * changes that arrive while one is being written go out together in the next.
 */
export class DeadProperties {
  readonly #dir: string;
  #data: StoredFile = { version: 1, mirrors: {} };
  #bytes = 0;
  #saving: Promise<void> = Promise.resolve();
  #dirty = false;

  private constructor(dir: string) { this.#dir = dir; }

  /** Reads the file in `dir`; a missing one is an empty store, a damaged one is set aside (kept) and reported. */
  static async open(dir: string, log: (m: string) => void = () => {}): Promise<DeadProperties> {
    const store = new DeadProperties(dir);
    const file = join(dir, FILE);
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
    if (text !== null) {
      try {
        const parsed = JSON.parse(text) as StoredFile;
        if (parsed?.version !== 1 || typeof parsed.mirrors !== 'object' || parsed.mirrors === null) throw new Error('not a version 1 property file');
        store.#data = parsed;
        store.#bytes = text.length;
      } catch (e) {
        log(`The WebDAV properties file ${file} is damaged (${(e as Error).message}); starting without dead properties.`);
        await new NodeFs().rename(file, `${file}.bad-${Date.now()}`).catch(() => {});
      }
    }
    return store;
  }

  /** The dead properties of one path (empty when none). */
  get(mirrorId: string, path: string): PropMap {
    return this.#data.mirrors[mirrorId]?.[path] ?? {};
  }

  /**
   * Applies a PROPPATCH's instructions all or nothing (RFC 4918 §9.2): the new set replaces the old only once durable.
   * Returns false, changing nothing, when the store would grow past MAX_PROPERTY_BYTES.
   */
  async apply(mirrorId: string, path: string, instructions: readonly PropInstruction[]): Promise<boolean> {
    const before = this.#data.mirrors[mirrorId]?.[path];
    const next: PropMap = { ...before };
    for (const [action, name, value] of instructions) {
      if (action === 'set') next[name] = value as PropValue;
      else delete next[name];
    }
    const added = JSON.stringify(next).length - JSON.stringify(before ?? {}).length;
    if (added > 0 && this.#bytes + added > MAX_PROPERTY_BYTES) return false;
    this.#bytes += added;
    const byPath = (this.#data.mirrors[mirrorId] ??= {});
    const put = (v: PropMap | undefined) => { if (v === undefined || Object.keys(v).length === 0) delete byPath[path]; else byPath[path] = v; };
    put(next);
    try {
      await this.#save();
    } catch (e) {
      put(before); // not durable, so not done: the PROPPATCH fails as a whole
      throw e;
    }
    return true;
  }

  /** A MOVE: the properties of `from` and everything under it go to `to`; what `to` had is dropped. */
  async move(mirrorId: string, from: string, to: string): Promise<void> {
    const byPath = this.#data.mirrors[mirrorId];
    if (!byPath) return;
    let changed = this.#dropUnder(byPath, to);
    for (const p of Object.keys(byPath)) {
      if (!isUnder(p, from)) continue;
      byPath[rebase(p, from, to)] = byPath[p]!;
      delete byPath[p];
      changed = true;
    }
    if (changed) await this.#save();
  }

  /** A COPY: `to` and everything under it get the properties of their counterparts under `from` (RFC 4918 §9.8.2). */
  async copy(mirrorId: string, from: string, to: string): Promise<void> {
    const byPath = this.#data.mirrors[mirrorId];
    if (!byPath) return;
    let changed = this.#dropUnder(byPath, to);
    for (const p of Object.keys(byPath)) {
      if (!isUnder(p, from) || isUnder(p, to)) continue;
      byPath[rebase(p, from, to)] = structuredClone(byPath[p]!);
      changed = true;
    }
    if (changed) await this.#save();
  }

  /** A DELETE (or a new resource where an old one was removed by other means): its properties go with it. */
  async drop(mirrorId: string, path: string): Promise<void> {
    const byPath = this.#data.mirrors[mirrorId];
    if (byPath && this.#dropUnder(byPath, path)) await this.#save();
  }

  /** Resolves when every change so far is durable (tests, shutdown). */
  flushed(): Promise<void> { return this.#saving; }

  #dropUnder(byPath: Record<string, PropMap>, root: string): boolean {
    let changed = false;
    for (const p of Object.keys(byPath)) {
      if (isUnder(p, root)) { delete byPath[p]; changed = true; }
    }
    return changed;
  }

  /** One write at a time; a change made while one runs marks the store dirty, and the next write carries it. */
  #save(): Promise<void> {
    this.#dirty = true;
    const run = this.#saving.then(async () => {
      if (!this.#dirty) return;
      this.#dirty = false;
      const text = JSON.stringify(this.#data);
      this.#bytes = text.length;
      await mkdir(this.#dir, { recursive: true });
      const fs = new NodeFs();
      const w = await fs.createAtomic(join(this.#dir, FILE), this.#dir);
      try {
        await w.write(Buffer.from(text));
        await w.commit();
      } catch (e) {
        await w.abort().catch(() => {});
        this.#dirty = true;
        throw e;
      }
    });
    this.#saving = run.catch(() => {});
    return run;
  }
}

// ── Locks ─────────────────────────────────────────────────────────────────────────────────────────────────────────

export interface LockRecord {
  token: string;
  mirrorId: string;
  path: string;
  username: string;
  date: number;
  /** Milliseconds; Infinity is allowed by nephele's Lock but capped by its maxLockTimeout before it gets here. */
  timeout: number;
  scope: 'exclusive' | 'shared';
  depth: '0' | 'infinity';
  provisional: boolean;
  owner: unknown;
}

/** Locks held at once, at most: a client cannot grow the table without bound. */
export const MAX_LOCKS = 10_000;

/**
 * The lock table: in memory, so a restart releases every lock (clients then refresh or re-lock, as after a server
 * reboot; a lock is advisory and protects nothing once its holder is gone). Indexed by path for the parent walks
 * nephele makes on every request.
 */
export class LockTable {
  readonly #byToken = new Map<string, LockRecord>();
  readonly #byPath = new Map<string, Set<string>>();

  get size(): number { return this.#byToken.size; }

  at(mirrorId: string, path: string): LockRecord[] {
    const tokens = this.#byPath.get(`${mirrorId}\0${path}`);
    if (!tokens) return [];
    return [...tokens].map((t) => this.#byToken.get(t)!).filter((r) => r.mirrorId === mirrorId);
  }

  /** Locks on `root` and below it. */
  under(mirrorId: string, root: string): LockRecord[] {
    return [...this.#byToken.values()].filter((r) => r.mirrorId === mirrorId && isUnder(r.path, root));
  }

  save(r: LockRecord): boolean {
    const old = this.#byToken.get(r.token);
    if (!old && this.#byToken.size >= MAX_LOCKS) { this.#expire(Date.now()); if (this.#byToken.size >= MAX_LOCKS) return false; }
    if (old) this.#unindex(old);
    this.#byToken.set(r.token, { ...r });
    const key = `${r.mirrorId}\0${r.path}`;
    const set = this.#byPath.get(key) ?? new Set<string>();
    this.#byPath.set(key, set.add(r.token));
    return true;
  }

  delete(token: string): void {
    const old = this.#byToken.get(token);
    if (!old) return;
    this.#byToken.delete(token);
    this.#unindex(old);
  }

  /** A MOVE or DELETE: locks on the source are not carried along (RFC 4918 §9.9.4); they end. */
  dropUnder(mirrorId: string, root: string): void {
    for (const r of this.under(mirrorId, root)) this.delete(r.token);
  }

  #unindex(r: LockRecord): void {
    const key = `${r.mirrorId}\0${r.path}`;
    const set = this.#byPath.get(key);
    set?.delete(r.token);
    if (set?.size === 0) this.#byPath.delete(key);
  }

  #expire(now: number): void {
    for (const r of [...this.#byToken.values()]) if (r.date + r.timeout <= now) this.delete(r.token);
  }
}
