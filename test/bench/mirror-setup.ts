// Mirrors for the bench: fresh member folders on the lab's drives, and mirrors pre-seeded with the tree without a resync.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createMirror, assembleMirror, type Mirror } from '../../core/index.ts';
import type { MemberSpec } from '../../core/index.ts';
import { syncAll } from './lab.ts';
import { writeTree, type TreeSpec } from './tree.ts';

let counter = 0;

/** A new empty folder on `drive` (each run gets its own, so runs never see each other's files). */
export async function freshFolder(drive: string, name: string): Promise<string> {
  const p = join(drive, `${name}-${process.pid}-${++counter}`);
  await mkdir(p, { recursive: true });
  return p;
}

export const removeFolder = (p: string) => rm(p, { recursive: true, force: true });

/**
 * A two-member mirror whose members both already hold `tree`: created empty, stopped (clean), the same tree written
 * into both folders directly, then opened — so no resync runs and setup costs seconds, not the engine's copy time.
 */
export async function seededMirror(a: MemberSpec, b: MemberSpec, tree: TreeSpec, o: { maxBehindWrites?: number } = {}): Promise<Mirror> {
  const m = await createMirror({ members: [{ path: a.path }, { path: b.path, writeMostly: b.writeMostly ?? false }] });
  await m.stop();
  await Promise.all([writeTree(a.path, tree), writeTree(b.path, tree)]);
  await syncAll();
  return assembleMirror({ members: [a, b], ...o });
}

/** Resolves when the member reaches in_sync (a resync or catch-up finished); rejects if it turns faulty. */
export function untilInSync(m: Mirror, memberId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const s = m.status().members.find((x) => x.id === memberId);
      if (s?.state === 'in_sync') { off(); resolve(); }
      if (s?.state === 'faulty') { off(); reject(new Error(`member ${memberId} turned faulty: ${s.error}`)); }
    };
    const off = m.onEvent((e) => { if (e.type === 'member-state' && e.memberId === memberId) check(); });
    check();
  });
}
