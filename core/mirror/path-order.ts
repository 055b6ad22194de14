// Per-member ordering of overlapping operations: each waits for the earlier ones it overlaps (cf. md serialize_policy).
// Node's thread pool would otherwise let a later rewrite land before an earlier one (invariant 11).
import { foldedOverlap, foldPath } from './paths.ts';

export interface Slot {
  /** Resolves when every earlier overlapping operation on this member has finished. */
  readonly ready: Promise<void>;
  release(): void;
}

/** An operation in line: its folded paths, and a promise settled when it is done on this member. */
interface Entry { raw: readonly string[]; paths: readonly string[]; done: Promise<void>; index?: Index }

/**
 * A many-path entry's paths, looked up instead of compared pair by pair (a catch-up copies 64 siblings as one
 * entry: 64 × 64 comparisons against each other such entry took a third of an adoption's time). `above`: every
 * folder above a path; `spelled`: each folded prefix of a path with its raw spelling, null when it has two.
 */
interface Index { root: boolean; keys: Set<string>; above: Set<string>; spelled: Map<string, string | null> }
const INDEXED = 8;

function indexOf(raw: readonly string[], keys: readonly string[]): Index {
  const ix: Index = { root: false, keys: new Set(keys), above: new Set(), spelled: new Map() };
  keys.forEach((k, i) => {
    if (k === '') { ix.root = true; return; }
    const ks = k.split('/'), rs = raw[i]!.split('/');
    let kp = '', rp = '';
    for (let j = 0; j < Math.min(ks.length, rs.length); j++) {
      kp = j ? `${kp}/${ks[j]}` : ks[j]!;
      rp = j ? `${rp}/${rs[j]}` : rs[j]!;
      if (j < ks.length - 1) ix.above.add(kp);
      const had = ix.spelled.get(kp);
      if (had === undefined) ix.spelled.set(kp, rp); else if (had !== rp) ix.spelled.set(kp, null);
    }
  });
  return ix;
}

/** conflict() of one path against an indexed entry: the same answers as foldedOverlap and spelledTwice, pair by pair. */
function hitsIndex(ix: Index, raw: string, key: string): boolean {
  if (ix.root || key === '' || ix.keys.has(key) || ix.above.has(key)) return true;
  const ks = key.split('/'), rs = raw.split('/');
  let kp = '', rp = '';
  for (let j = 0; j < Math.min(ks.length, rs.length); j++) {
    kp = j ? `${kp}/${ks[j]}` : ks[j]!;
    rp = j ? `${rp}/${rs[j]}` : rs[j]!;
    if (j < ks.length - 1 && ix.keys.has(kp)) return true; // a folder above it is in line
    const had = ix.spelled.get(kp);
    if (had !== undefined && had !== rp) return true; // the same folder under another spelling
  }
  return false;
}

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

const conflict = (e: Entry, raw: readonly string[], keys: readonly string[]) => e.index
  ? keys.some((q, j) => hitsIndex(e.index!, raw[j]!, q))
  : e.paths.some((p, i) => keys.some((q, j) => foldedOverlap(p, q) || spelledTwice(e.raw[i]!, raw[j]!, p, q)));

/** Whether an entry holding `held` orders a reservation of `asked` after it; `indexed` forces either way (a test). */
export function ordersAfter(held: readonly string[], asked: readonly string[], indexed = held.length > INDEXED): boolean {
  const keys = held.map(foldPath);
  const e: Entry = { raw: held, paths: keys, done: Promise.resolve(), ...(indexed ? { index: indexOf(held, keys) } : {}) };
  return conflict(e, asked, asked.map(foldPath));
}

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
    if (keys.length > INDEXED) entry.index = indexOf(paths, keys);
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

/**
 * Holds `paths`' place in line on each holder (a member) while `fn` runs: after every operation on them submitted
 * before. One holder unless the work needs them all at once (a copy: its source and its target).
 */
export async function inLine<T>(holders: readonly { order: PathOrder }[], paths: readonly string[], fn: () => Promise<T>): Promise<T> {
  const slots = holders.map((h) => h.order.reserve(paths));
  try {
    await Promise.all(slots.map((s) => s.ready));
    return await fn();
  } finally {
    for (const s of slots) s.release();
  }
}
