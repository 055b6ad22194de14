// What the engine answered to `stat` through the mount, kept until the engine reports a change that could alter it.
// The kernel asks for every path component's attributes on every call (entry and attribute timeouts are 0, so a change
// made another way, through the app or WebDAV, is seen at once): untarring one file costs about eight lookups. Each is
// now answered here instead of by a stat on a member drive, and stays exactly as fresh: the engine emits
// `files-changed` for every change it acknowledges (whoever made it: the mount, WebDAV, the app, a change taken from a
// drive) synchronously, before the write's caller hears of the acknowledgement, and that drops what is kept for the
// path, what is under it and its folder. Anything else that may change which copy a stat reads (a member's state, a
// change noticed on a drive, a copy healed) drops everything. A stat that was in flight while anything was dropped is
// not kept.
import type { FileStat, Mirror, MirrorEvent } from '../../index.ts';
import { MirrorError } from '../../index.ts';

/** Entries kept at most; past it everything is dropped (a lookup storm is about the few paths being worked on). */
const MAX_ENTRIES = 8192;

/** A path's one spelling for every member filesystem (as the engine folds names: NFC, lower case), one segment. */
const fold = (name: string) => (/^[\x00-\x7f]*$/.test(name) ? name : name.normalize('NFC')).toLowerCase();

interface Node {
  /** Kept answers by exact spelling (spellings that fold alike share the node, so a change to one drops them all). */
  answers?: Map<string, FileStat | 'missing'>;
  children?: Map<string, Node>;
}

/** Events after which no kept answer is trusted. */
const DROP_ALL = new Set<MirrorEvent['type']>(['member-state', 'outside-change', 'conflicts-changed', 'read-healed']);

export class StatCache {
  #mirror: Mirror | null = null;
  #unsubscribe: (() => void) | undefined;
  #root: Node = {};
  #entries = 0;
  /** Bumped by every drop: a stat that began before one is not kept. */
  #epoch = 0;

  /** `mirror.stat(path)`, from what is kept when nothing changed since. */
  async stat(mirror: Mirror, path: string): Promise<FileStat> {
    if (mirror !== this.#mirror) this.#attach(mirror);
    const hit = this.#find(path)?.answers?.get(path);
    if (hit === 'missing') throw new MirrorError('ENOTFOUND', `"${path}" does not exist.`, { path });
    if (hit) return hit;
    const epoch = this.#epoch;
    try {
      const st = await mirror.stat(path);
      if (epoch === this.#epoch && mirror === this.#mirror) this.#keep(path, st);
      return st;
    } catch (e) {
      if (e instanceof MirrorError && e.code === 'ENOTFOUND' && epoch === this.#epoch && mirror === this.#mirror) this.#keep(path, 'missing');
      throw e;
    }
  }

  /**
   * Drops what is kept for `path`: the path, everything under it, and its folder (whose time changes when an entry
   * is added, removed or renamed; the folders above it keep theirs, as on any POSIX filesystem).
   */
  changed(path: string): void {
    this.#epoch++;
    if (path === '') { this.clear(); return; }
    const segs = path.split('/').map(fold);
    let parent: Node | undefined = this.#root;
    for (let i = 0; i < segs.length - 1 && parent; i++) parent = parent.children?.get(segs[i]!);
    if (!parent) return;
    parent.answers = undefined;
    parent.children?.delete(segs.at(-1)!);
  }

  clear(): void {
    this.#epoch++;
    this.#root = {};
    this.#entries = 0;
  }

  /** Stops listening to the mirror (the mount went away). */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#mirror = null;
    this.clear();
  }

  #attach(mirror: Mirror): void {
    this.close();
    this.#mirror = mirror;
    this.#unsubscribe = mirror.onEvent((e) => {
      if (e.type === 'files-changed') for (const p of e.paths) this.changed(p);
      else if (DROP_ALL.has(e.type)) this.clear();
    });
  }

  #find(path: string): Node | undefined {
    if (path === '') return this.#root;
    let n: Node | undefined = this.#root;
    for (const s of path.split('/')) {
      n = n.children?.get(fold(s));
      if (!n) return undefined;
    }
    return n;
  }

  #keep(path: string, answer: FileStat | 'missing'): void {
    if (this.#entries >= MAX_ENTRIES) this.clear();
    let n = this.#root;
    if (path !== '') {
      for (const s of path.split('/')) {
        n.children ??= new Map();
        const key = fold(s);
        let c = n.children.get(key);
        if (!c) { c = {}; n.children.set(key, c); }
        n = c;
      }
    }
    n.answers ??= new Map();
    if (!n.answers.has(path)) this.#entries++;
    n.answers.set(path, answer);
  }
}
