// No silent overwrite (issue 11, part 3): one question at a time — a name that exists — answered with Replace, Keep
// both or Skip, and for a batch "apply to all" remembered for the rest of it. Uploads, renames and restores ask it.

export type ConflictChoice = 'replace' | 'keep-both' | 'skip';

export interface Conflict {
  /** The name that exists (shown to the person). */
  name: string;
  /** Where it is: '' for the mirror's root. */
  folder: string;
  /** What the person was doing: "upload", "rename", "restore". */
  action: 'upload' | 'rename' | 'restore';
  /** false where replacing cannot be done (a folder is in the way, or a folder would be replaced). */
  canReplace: boolean;
  /** How many more names in the same batch exist too (offers "apply to all" when > 0). */
  more: number;
}

export interface ConflictAnswer { choice: ConflictChoice; all: boolean }

export class ConflictAsker {
  #current = $state.raw<Conflict | null>(null);
  #resolve: ((a: ConflictAnswer) => void) | null = null;
  /** A batch's "apply to all" answer, until the batch ends (forget()). */
  #forAll: ConflictChoice | null = null;

  get current(): Conflict | null { return this.#current; }

  /** Asks (or answers at once when the batch said "apply to all" and that choice is possible here). */
  ask(c: Conflict): Promise<ConflictAnswer> {
    if (this.#forAll && (this.#forAll !== 'replace' || c.canReplace)) return Promise.resolve({ choice: this.#forAll, all: true });
    this.#resolve?.({ choice: 'skip', all: false }); // a question left open is a skip
    this.#current = c;
    return new Promise((resolve) => { this.#resolve = resolve; });
  }

  answer(choice: ConflictChoice, all = false): void {
    if (all) this.#forAll = choice;
    const resolve = this.#resolve;
    this.#resolve = null;
    this.#current = null;
    resolve?.({ choice, all });
  }

  /** A batch ended: its "apply to all" does not carry over to the next one. */
  forget(): void { this.#forAll = null; }
}
