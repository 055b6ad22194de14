// The catch-up of one member (re-add or new member): which paths it does not yet hold current, and the rule that makes
// its copies and the live legs of the same path commute (invariant 25; cf. md raise_barrier/wait_barrier).
import type { Superblock } from '../journal/superblock.ts';
import { foldPath, parentOf } from './paths.ts';

/** What a returning member must catch up: the whole tree, or the paths recorded after generation `since` (null: every record). */
export type CatchUpPlan = 'full' | { since: number | null };

/**
 * Records or a full resync: the one place that decides (at open and at re-add). Records are never cleared while a
 * member is away, so those since it left are all still there — unless its generation predates the last clear (cf. md
 * events_cleared), or it left while still being filled: then only the whole tree is safe. A member that left cleanly
 * holds everything up to its own generation; one that did not may miss any recorded path.
 */
export function catchUpPlan(sb: Superblock, o: { generationCleared: number; stillFilling: boolean; clean: boolean }): CatchUpPlan {
  const self = sb.members.find((x) => x.id === sb.memberId);
  const filling = o.stillFilling || (self?.state === 'resyncing' && self.resync !== 'records');
  if (filling || sb.generation < o.generationCleared) return 'full';
  return { since: o.clean ? sb.generation : null };
}

/**
 * The rule. A member being caught up holds path P *current* when no pending catch-up path overlaps P (P itself, a
 * folder above it, or anything below it). Then:
 *
 *  1. A live operation whose paths the member holds current is applied to it directly, in each path's line, like on
 *     any member: it acts on a copy equal to the source's, so it leaves the two equal.
 *  2. A live operation touching any path the member does not hold current is NOT applied to it: every path the
 *     operation touches joins the catch-up instead (they become pending). Acting on a stale copy is what broke the
 *     promise: a rename moved an old version into place, a write met a stale file where a folder belongs, a remove
 *     freed a name a later copy then filled with old bytes.
 *  3. The copy of a pending path P takes its place in P's line on the member when its turn comes, then on the source
 *     for as long as it reads there, so it runs after every operation on P submitted before it, and copies what P
 *     *is* on the source then (absent there → absent on the member; a folder → its entries join the catch-up, and P
 *     stays pending until they have). It writes the member with the source's line let go: a slow or hung member never
 *     holds up a live operation on the others (resync/source-view.ts says why that is safe).
 *
 * The decision in 1-2 is made synchronously at submission, and the pending set only shrinks when a copy finishes, so
 * every operation on P lands on the member either directly (P current: equal before, equal after) or through a copy
 * that runs after it on the source. Whatever the interleaving, once nothing is pending the member equals the source.
 * Names are compared folded (case, Unicode form), as the strictest member's filesystem compares them (invariant 23).
 *
 * Corollary: whatever looks at the drives *outside* a path's line (a full resync counting what it will copy, a scrub
 * listing files) sees live operations change the tree under it, so it may only estimate or propose from what it sees,
 * and a path or folder gone meanwhile is absent to it, never an error (Member.listOrNull; engine-walk-gone.test.ts).
 */
export class CatchUp {
  /** Paths waiting for a copy, in order (folded keys in `#pending`; the original spelling here). */
  #queue: string[] = [];
  /** Where the queue starts: taking moves it on (Array.shift is O(n): 200,000 queued paths spent 19 s in it). */
  #head = 0;
  /** How many times each folded path is pending (queued or being copied). */
  readonly #pending = new Map<string, number>();
  /** For each folded folder, how many pending paths lie strictly below it. */
  readonly #below = new Map<string, number>();
  #wakers: (() => void)[] = [];
  /** Copies taken and not yet finished. */
  #active = 0;

  constructor(initial: Iterable<string>) {
    this.add(initial);
  }

  /** Nothing pending: the member holds every path current (live operations apply to it directly from now on). */
  get done(): boolean { return this.#pending.size === 0; }
  get queued(): number { return this.#queue.length - this.#head; }

  /** Does the member lack a current copy of any of these paths? (rule 2) */
  overlapsAny(paths: readonly string[]): boolean {
    if (this.#pending.size === 0) return false;
    for (const p of paths) {
      const k = foldPath(p);
      if (this.#pending.has('') || this.#pending.has(k) || (this.#below.get(k) ?? 0) > 0) return true;
      for (let a = parentOf(k); a !== ''; a = parentOf(a)) if (this.#pending.has(a)) return true;
    }
    return false;
  }

  /** Paths join the catch-up (rule 2, and a copied folder's entries). */
  add(paths: Iterable<string>): void {
    for (const p of paths) {
      this.#queue.push(p);
      this.#hold(foldPath(p), 1);
    }
    for (const w of this.#wakers.splice(0)) w();
  }

  /** The next path to copy, or undefined when the queue is empty right now. Call `finished(p)` after copying it. */
  take(): string | undefined {
    const p = this.#next();
    if (p !== undefined) this.#active++;
    return p;
  }

  /**
   * Up to `max` more paths from the head of the queue, taken with `first` (just taken) for one copy: only its siblings
   * (the same folder, spelled the same), none under a name folded like another's. Such paths never overlap, so one
   * copy can hold all their places in line at once without waiting on itself. Call `finished` for each.
   */
  takeSiblings(first: string, max: number): string[] {
    const parent = parentOf(first), seen = new Set([foldPath(first)]), out: string[] = [];
    while (out.length < max) {
      const p = this.#queue[this.#head];
      if (p === undefined || p === '' || parentOf(p) !== parent || seen.has(foldPath(p))) break;
      seen.add(foldPath(p));
      out.push(this.#next()!);
      this.#active++;
    }
    return out;
  }

  /** A copy finished (its folder's entries, if any, were added first): the path is current unless queued again. */
  finished(path: string): void {
    this.#active--;
    this.#hold(foldPath(path), -1);
    for (const w of this.#wakers.splice(0)) w();
  }

  /** Wakes every copier waiting in changed(): the catch-up is being cut short (the member left, the mirror stops). */
  wake(): void {
    for (const w of this.#wakers.splice(0)) w();
  }

  /** Resolves when there may be something new to take, or when everything is done. */
  changed(): Promise<void> {
    if (this.queued > 0 || (this.#active === 0 && this.done)) return Promise.resolve();
    return new Promise((r) => this.#wakers.push(r));
  }

  /** The path at the head of the queue, taken off it; what was taken is dropped from memory now and then. */
  #next(): string | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const p = this.#queue[this.#head++];
    if (this.#head >= 4096 && this.#head * 2 >= this.#queue.length) { this.#queue = this.#queue.slice(this.#head); this.#head = 0; }
    return p;
  }

  #hold(key: string, delta: 1 | -1): void {
    const n = (this.#pending.get(key) ?? 0) + delta;
    if (n > 0) this.#pending.set(key, n); else this.#pending.delete(key);
    if (key === '') return;
    for (let a = parentOf(key); ; a = parentOf(a)) {
      const b = (this.#below.get(a) ?? 0) + delta;
      if (b > 0) this.#below.set(a, b); else this.#below.delete(a);
      if (a === '') break;
    }
  }
}
