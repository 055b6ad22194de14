// Per-member ordering of overlapping operations: each waits for the earlier ones it overlaps (cf. md serialize_policy).
// Node's thread pool would otherwise let a later rewrite land before an earlier one (invariant 11).
import { overlaps } from './paths.ts';

export interface Slot {
  /** Resolves when every earlier overlapping operation on this member has finished. */
  readonly ready: Promise<void>;
  release(): void;
}

interface Entry { paths: readonly string[]; done: Promise<void> }

export class PathOrder {
  readonly #inflight = new Set<Entry>();

  /** Takes a place in line now (synchronously, so places follow submission order). */
  reserve(paths: readonly string[]): Slot {
    const deps: Promise<void>[] = [];
    for (const e of this.#inflight) {
      if (e.paths.some((p) => paths.some((q) => overlaps(p, q)))) deps.push(e.done);
    }
    let resolve!: () => void;
    const entry: Entry = { paths, done: new Promise<void>((r) => (resolve = r)) };
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
