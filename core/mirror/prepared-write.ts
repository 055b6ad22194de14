// A small write's synchronous legs prepare their temp files while its intent record is made durable.
//
// An acknowledged small write used to be three fsync rounds one after the other on each fast member: the intent
// record (invariant 13), the temp file's data, then the rename's folder. The temp file lives in the member's own
// folder (.nas-mirror/tmp), is not part of the mirror, and is removed at open if a crash leaves it: writing and
// flushing it changes nothing any reader, resync or recovery looks at. So it is done at the same time as the intent
// record, and the leg, in its turn, only lands it (rename, folder fsync).
//
// Rule: a leg's first change to a mirrored path (here, the rename) comes after the intent record is durable; what a
// leg does in the member's own temp folder before that is preparation, and may overlap the record. A prepared temp
// file that is not landed (the member left, the write was refused, the leg took another way) is removed by its leg.
import type { AtomicWriter, FsAttrs } from '../fs/filesystem.ts';
import type { Member } from './member.ts';
import { startTemp } from './ops.ts';

export class PreparedWrites {
  readonly #by = new Map<Member, Promise<AtomicWriter | undefined>>();

  /** Starts writing and flushing `data` to a temp file on each member; one that fails is simply not prepared. */
  constructor(members: readonly Member[], path: string, data: Uint8Array, attrs?: FsAttrs) {
    for (const m of members) this.#by.set(m, prepare(m, path, data, attrs));
  }

  /** The member's prepared temp file, handed over once (undefined: none; the leg writes its own). */
  async take(m: Member): Promise<AtomicWriter | undefined> {
    const p = this.#by.get(m);
    this.#by.delete(m);
    return p;
  }

  /** Removes the member's temp file if its leg did not take it. */
  async drop(m: Member): Promise<void> {
    const w = await this.take(m);
    await w?.abort().catch(() => {});
  }

  /** Removes every temp file not taken (the write was refused before its legs). */
  async dropAll(): Promise<void> {
    await Promise.all([...this.#by.keys()].map((m) => this.drop(m)));
  }
}

async function prepare(m: Member, path: string, data: Uint8Array, attrs?: FsAttrs): Promise<AtomicWriter | undefined> {
  let w: AtomicWriter | undefined;
  try {
    w = await startTemp(m, path, attrs, data);
    if (!w.flush) { await w.abort(); return undefined; } // a drive that cannot flush early: its leg writes as usual
    await w.write(data);
    await w.flush();
    return w;
  } catch {
    // Not prepared (a full drive, a folder not made yet, a drive that failed): the leg writes the usual way and meets
    // the same error there, where it is handled (room made, the member faulted).
    await w?.abort().catch(() => {});
    return undefined;
  }
}
