// Per-member ordering of overlapping operations: each waits for the earlier ones it overlaps (cf. md serialize_policy).
// Node's thread pool would otherwise let a later rewrite land before an earlier one (invariant 11).
import { foldedOverlap, foldPath } from './paths.ts';

export interface Slot {
  /** Resolves when every earlier overlapping operation on this member has finished. */
  readonly ready: Promise<void>;
  release(): void;
}

/** An operation in line: its folded paths, and a promise settled when it is done on this member. */
interface Entry { raw: readonly string[]; paths: readonly string[]; done: Promise<void> }

/**
 * Two paths that reach the same folder under two spellings ("Photos/a" and "photos/b") may create it twice on a
 * case-sensitive member and once on a case-insensitive one: they are ordered too, so the second sees the first's folder.
 */
function spelledTwice(a: string, b: string, ka: string, kb: string): boolean {
  if (a.length === 0 || b.length === 0) return false;
  const as = a.split('/'), bs = b.split('/'), kas = ka.split('/'), kbs = kb.split('/');
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    if (kas[i] !== kbs[i]) return false;
    if (as[i] !== bs[i]) return true;
  }
  return false;
}

const conflict = (e: Entry, raw: readonly string[], keys: readonly string[]) =>
  e.paths.some((p, i) => keys.some((q, j) => foldedOverlap(p, q) || spelledTwice(e.raw[i]!, raw[j]!, p, q)));

export class PathOrder {
  readonly #inflight = new Set<Entry>();

  /** Takes a place in line now (synchronously, so places follow submission order). */
  reserve(paths: readonly string[]): Slot {
    // Under the folded name: "Foo.txt" and "foo.txt" are one place in line, as on a case-insensitive member.
    const keys = paths.map(foldPath);
    const deps: Promise<void>[] = [];
    for (const e of this.#inflight) if (conflict(e, paths, keys)) deps.push(e.done);
    let resolve!: () => void;
    const entry: Entry = { raw: paths, paths: keys, done: new Promise<void>((r) => (resolve = r)) };
    this.#inflight.add(entry);
    let released = false;
    return {
      ready: deps.length === 0 ? Promise.resolve() : Promise.all(deps).then(() => {}),
      release: () => {
        if (released) return;
        released = true;
        this.#inflight.delete(entry);
        resolve();
      },
    };
  }

  get size(): number { return this.#inflight.size; }
}
