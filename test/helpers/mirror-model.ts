// The model the randomised engine test checks against: the tree of files and folders every acknowledged operation
// leaves, and which operations the engine must refuse (the same rules as core/mirror/ops.ts, written independently).

/** Root names planted as symbolic links in every member: never part of the mirror (invariant 24). */
export const LINK = 'link';

export type ModelOp =
  | { k: 'write'; p: string; v: string }
  | { k: 'mkdir'; p: string }
  | { k: 'remove'; p: string }
  /** replace: the rename may land on an existing file (issue 11 part 3); without it, an existing `to` refuses it. */
  | { k: 'rename'; p: string; to: string; replace?: boolean };

const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const ancestors = (p: string) => { const out: string[] = []; for (let a = parentOf(p); a !== ''; a = parentOf(a)) out.push(a); return out; };
const under = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

export class MirrorModel {
  readonly files = new Map<string, string>();
  readonly dirs = new Set<string>();

  /**
   * caseInsensitive: some member folds case, so names differing only in case are twins (Unicode form always is).
   * links: every member has a symbolic link named LINK in its root.
   */
  constructor(readonly caseInsensitive: boolean, readonly links: boolean) {}

  /** The path leads through the planted link: refused, whatever the operation. */
  throughLink(p: string): boolean { return this.links && under(p, LINK); }

  #key(name: string): string { const n = name.normalize('NFC'); return this.caseInsensitive ? n.toLowerCase() : n; }
  #keyPath(p: string): string { return p.split('/').map((n) => this.#key(n)).join('/'); }
  exists(p: string): boolean { return this.files.has(p) || this.dirs.has(p); }
  isDir(p: string): boolean { return this.dirs.has(p); }
  #fileAbove(p: string): boolean { return ancestors(p).some((a) => this.files.has(a)); }

  /** Names directly in folder `dir` (the planted link is in the root of every member). */
  children(dir: string): string[] {
    const out = new Set<string>();
    for (const p of [...this.files.keys(), ...this.dirs]) if (parentOf(p) === dir) out.add(baseName(p));
    if (dir === '' && this.links) out.add(LINK);
    return [...out];
  }

  /** What a listing of `dir` through the mirror shows: the link is left out. */
  listing(dir: string): string[] { return this.children(dir).filter((n) => !(dir === '' && this.links && n === LINK)); }

  /** A name on the way to `p` that has a twin spelled otherwise in the same folder (invariant 23). */
  #twin(p: string, renamedFrom?: string): boolean {
    let dir = '';
    const names = p.split('/');
    for (const [i, name] of names.entries()) {
      if (dir !== '' && !this.dirs.has(dir)) return false;
      const key = this.#key(name);
      for (const c of this.children(dir)) {
        const full = dir ? `${dir}/${c}` : c;
        // A rename that only respells its own last name is not a twin of itself.
        if (c !== name && this.#key(c) === key && !(i === names.length - 1 && full === renamedFrom)) return true;
      }
      dir = dir ? `${dir}/${name}` : name;
    }
    return false;
  }

  #makeParents(p: string): void { for (const a of ancestors(p)) this.dirs.add(a); }

  /** Applies `op` if the engine must accept it; returns false (and changes nothing) if it must refuse it. */
  apply(op: ModelOp): boolean {
    switch (op.k) {
      case 'write':
        if (this.throughLink(op.p) || this.#twin(op.p) || this.isDir(op.p) || this.#fileAbove(op.p)) return false;
        this.files.set(op.p, op.v);
        this.#makeParents(op.p);
        return true;
      case 'mkdir':
        if (this.throughLink(op.p) || this.#twin(op.p) || this.files.has(op.p) || this.#fileAbove(op.p)) return false;
        this.dirs.add(op.p);
        this.#makeParents(op.p);
        return true;
      case 'remove':
        if (this.throughLink(op.p) || !this.exists(op.p)) return false;
        for (const f of [...this.files.keys()]) if (under(f, op.p)) this.files.delete(f);
        for (const d of [...this.dirs]) if (under(d, op.p)) this.dirs.delete(d);
        return true;
      case 'rename': {
        const { p: from, to } = op;
        if (this.throughLink(from) || this.throughLink(to) || this.#twin(to, from) || !this.exists(from) || from === to) return false;
        if (this.#keyPath(to).startsWith(this.#keyPath(from) + '/')) return false; // into itself, as names compare
        if (this.exists(to) && (this.isDir(to) || this.isDir(from) || !op.replace)) return false;
        if (this.#fileAbove(to)) return false;
        const moved = (x: string) => to + x.slice(from.length);
        const files = [...this.files].filter(([f]) => under(f, from));
        const dirs = [...this.dirs].filter((d) => under(d, from));
        for (const [f] of files) this.files.delete(f);
        for (const d of dirs) this.dirs.delete(d);
        for (const [f, v] of files) this.files.set(moved(f), v);
        for (const d of dirs) this.dirs.add(moved(d));
        this.#makeParents(to);
        return true;
      }
    }
  }

  /** The tree as test/helpers/engine.ts treeOf() lists a member folder: files by content (base64), folders with '/'. */
  tree(): Map<string, string> {
    const out = new Map<string, string>();
    for (const d of this.dirs) out.set(d + '/', '');
    for (const [p, v] of this.files) out.set(p, Buffer.from(v).toString('base64'));
    return out;
  }
}
