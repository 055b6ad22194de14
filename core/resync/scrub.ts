// Scrub (cf. md check/repair): compare every member's copy with the checksum manifest; repair from a good copy.
import type { MirrorEvent, ScrubResult } from '../api/types.ts';
import { errnoCode } from '../fs/filesystem.ts';
import { hashStream } from '../journal/manifest.ts';
import type { Member } from '../mirror/member.ts';
import { isReadable } from '../mirror/member-state.ts';
import { META_DIR } from '../mirror/paths.ts';
import { syncOne } from './resync.ts';

export interface ScrubHost {
  readonly members: readonly Member[];
  readonly stopping: boolean;
  emit(e: MirrorEvent): void;
}

async function hashFile(m: Member, path: string): Promise<string | null> {
  try {
    return await hashStream(m.fs.readStream(m.abs(path)));
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR' || errnoCode(e) === 'EISDIR') return null;
    return 'unreadable';
  }
}

async function filesOf(m: Member): Promise<string[]> {
  const out: string[] = [];
  const stack = [''];
  while (stack.length) {
    const dir = stack.pop()!;
    for (const e of await m.fs.readdir(m.abs(dir))) {
      if (dir === '' && (e.name === META_DIR || e.name === 'lost+found')) continue;
      const p = dir ? `${dir}/${e.name}` : e.name;
      if (e.type === 'dir') stack.push(p); else if (e.type === 'file') out.push(p);
    }
  }
  return out;
}

/** Checks every file on every in-sync member; with `repair`, heals bad copies from one that matches, fast members first. */
export async function scrubMirror(host: ScrubHost, repair: boolean): Promise<ScrubResult> {
  const members = host.members.filter((m) => isReadable(m.state));
  const byPreference = [...members].sort((a, b) => Number(a.writeMostly) - Number(b.writeMostly));
  const primary = byPreference[0];
  if (!primary) return { checkedPaths: 0, mismatches: 0, repaired: 0 };
  const paths = [...new Set((await Promise.all(members.map(filesOf))).flat())].sort();
  const result: ScrubResult = { checkedPaths: 0, mismatches: 0, repaired: 0 };
  let lastEmit = 0;
  const progress = (done: boolean) => host.emit({ type: 'scrub-progress', donePaths: result.checkedPaths, totalPaths: paths.length, mismatches: result.mismatches, repaired: result.repaired, done });
  progress(false);
  for (const path of paths) {
    if (host.stopping) break;
    // Ordered with the writes in flight on every member, so a copy is never judged mid-write.
    const slots = members.map((m) => m.order.reserve([path]));
    try {
      await Promise.all(slots.map((s) => s.ready));
      // Each member is its own drive: read them at the same time.
      const hashes = new Map<Member, string | null>(await Promise.all(members.map(async (m) => [m, await hashFile(m, path)] as const)));
      // The truth: the manifest's checksum when a copy still matches it; otherwise (no entry) the preferred copy.
      const recorded = byPreference.map((m) => m.manifest?.get(path)).find((h) => h !== undefined);
      const matching = recorded !== undefined ? byPreference.find((m) => hashes.get(m) === recorded) : undefined;
      const truth = matching ? recorded! : hashes.get(primary)!;
      const source = matching ?? primary;
      const bad = members.filter((m) => hashes.get(m) !== truth);
      result.mismatches += bad.length;
      if (repair && bad.length > 0) {
        if (truth !== null && truth !== 'unreadable') for (const m of members) m.manifest?.set(path, truth);
        for (const m of bad) {
          await m.track(syncOne(source, m, path));
          result.repaired++;
        }
      }
    } finally {
      for (const s of slots) s.release();
    }
    result.checkedPaths++;
    if (Date.now() - lastEmit > 100) { lastEmit = Date.now(); progress(false); }
    await new Promise((r) => setImmediate(r)); // let foreground requests in between files
  }
  progress(true);
  return result;
}
