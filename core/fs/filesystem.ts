// The Filesystem interface every byte of member I/O goes through (cf. Syncthing lib/fs): real, slowed, or faulty.
import type { SmallFileHash } from './small-file-worker.ts';

export type { SmallFileHash };

export type EntryType = 'file' | 'dir' | 'other';
/** `ino`: the inode number where the filesystem has one (0 or absent otherwise): with size and mtime, what tells an
 * edit made outside the app from the engine's own write (journal/manifest.ts). */
export interface FsStat { type: EntryType; size: number; mtimeMs: number; ino?: number; /** permission bits (0o777) */ mode?: number }
/** What a write may carry and a metadata change sets (a FUSE mount's utimens/chmod): kept on every member. */
export interface FsAttrs { mtimeMs?: number; mode?: number }

/** One whole small file for writeFilesBulk(); its bytes are handed over (the caller does not use them again). */
export interface BulkFile { target: string; data: Uint8Array; attrs: FsAttrs }
/** One file's outcome in writeFilesBulk(): the stat of what landed, or why it was not written (nothing was). */
export type BulkWritten = { stat: FsStat; code?: undefined } | { stat: null; code: string; message?: string; link?: string };
export interface FsEntry { name: string; type: EntryType }

/** A file being written beside its target; only commit() makes it visible, atomically and durably. */
export interface AtomicWriter {
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Optional: make what was written durable in the temp file now (its attributes set, fsync), so that commit() only
   * renames and fsyncs the folder. Nothing at the target changes. After flush(), no more writes.
   */
  flush?(): Promise<void>;
  /** fsync the file (unless flushed), rename it over the target, fsync the target's folder. */
  commit(): Promise<void>;
  /** Remove the temp file; the target is untouched. */
  abort(): Promise<void>;
  /**
   * Optional, after commit(): the stat of what landed at the target (taken from the open file before the rename, which
   * keeps its inode, size and time), so the caller need not look at the target again.
   */
  readonly landed?: FsStat;
}

/** An append-only file (journal, manifest): appends are cheap, sync() makes them durable. */
export interface AppendHandle {
  append(data: Uint8Array): Promise<void>;
  sync(): Promise<void>;
  /** Every append is durable when it resolves (opened with `durable` where the drive can): sync() has nothing to do. */
  readonly durable?: boolean;
  /**
   * Appends are written at the `end` the handle was opened with, over zeros it preallocated past the content: the
   * file may end in a run of zeros, which readers take as its end. Only durable handles opened with `end` do this.
   */
  readonly preallocated?: boolean;
  close(): Promise<void>;
}

export interface Filesystem {
  /**
   * Opens (creating if needed) a file for appending. `durable`: each append durable when it resolves (O_DSYNC: the
   * data and the size, as write + fdatasync in one call), where the drive can; the handle's `durable` says if it is.
   * `end` (with `durable`): where the file's content ends — the rest, if any, is zeros. The handle writes from there
   * and keeps a run of written zeros ahead of it (`preallocated`), so an append overwrites blocks the file already
   * has: made durable by a data write and a cache flush, without a filesystem journal commit for a new size.
   */
  openAppend(path: string, o?: { durable?: boolean; end?: number }): Promise<AppendHandle>;
  /**
   * Starts an atomic replacement of `target`, with its temp file in `tmpDir` (same filesystem). With
   * `durable: false` the fsyncs are left out: for bulk copies made durable at once by syncFilesystem(). With
   * `mtimeMs` the file gets that modification time before it takes its name (a resync keeps the source's dates), and
   * with `mode` those permission bits (where the filesystem keeps them).
   */
  createAtomic(target: string, tmpDir: string, o?: { durable?: boolean } & FsAttrs): Promise<AtomicWriter>;
  /**
   * Optional: createAtomic() for a small file the caller writes whole, in one write() (at most SMALL_FILE_BYTES): no
   * call is made until flush() or commit(), each of which is then one round trip (NodeFs runs them in a worker).
   * `within` (ConfinedFs's root): a folder below it reached through a link fails the step with code ESYMLINK, checked
   * right before the folder is used.
   */
  createSmallAtomic?(target: string, tmpDir: string, o?: { durable?: boolean } & FsAttrs, within?: string): AtomicWriter;
  /**
   * Optional: createAtomic() over a temp file a host already wrote in full (`tmp`, beside `target` on the same
   * filesystem; a FUSE mount's staged file), so its bytes land without being written a second time. write() is
   * refused; commit() sets the attributes, fsyncs, renames and fsyncs the folder; abort() (and a failed commit) only
   * closes it: the file stays the host's. Without it, the caller writes a copy through createAtomic().
   */
  adoptAtomic?(tmp: string, target: string, o?: FsAttrs): Promise<AtomicWriter>;
  /** Flushes everything written to the filesystem holding `path` (syncfs); false where that cannot be done. */
  syncFilesystem(path: string): Promise<boolean>;
  /** Reads a whole file; never through a symbolic link as the last name (it fails instead). */
  readFile(path: string): Promise<Uint8Array>;
  /** Reads a file in chunks, so copies of big files use bounded memory; never through a link as the last name. */
  readStream(path: string, chunkSize?: number): AsyncIterable<Uint8Array>;
  /** What is at `path`, not following a symbolic link: a link (or a device, a socket) is 'other'. */
  stat(path: string): Promise<FsStat>;
  /**
   * Optional: stat() with every folder below `within` checked for links first (code ESYMLINK, with `link`), in one
   * call: ConfinedFs's check and the lstat were two thread-pool round trips per lookup.
   */
  statWithin?(path: string, within: string): Promise<FsStat>;
  readdir(path: string): Promise<FsEntry[]>;
  /** Optional: readdir() with the folders from `within` down to `path` checked for links first, in the same call. */
  readdirWithin?(path: string, within: string): Promise<FsEntry[]>;
  /**
   * stat() of each name in folder `dir` (null: gone since it was listed), the folder itself looked at once instead of
   * once per name: a listing of 10,000 entries made 10,000 link checks of the same folder. Optional: without it, the
   * caller stats each path.
   */
  statEntries?(dir: string, names: readonly string[]): Promise<(FsStat | null)[]>;
  /**
   * Optional: statEntries() with the folders from `within` down to `dir` checked for links first (code ESYMLINK, with
   * `link`), in the same call, as statWithin does for one path: ConfinedFs's check was a round trip of its own.
   */
  statEntriesWithin?(dir: string, names: readonly string[], within: string): Promise<(FsStat | null)[]>;
  /**
   * stat() of each path, and the checksum (sha256, base64url) of each file of at most `maxBytes`, read never through
   * a link, in one call: a scrub of 200,000 photos spent its time handing eight calls per file to the thread pool
   * (small-file-worker.ts). Optional: without it, the caller stats and reads each path. These batch calls take
   * `within` (ConfinedFs's root): a path whose folder below it is reached through a link gets code ESYMLINK, checked
   * in the same call, right before the path is touched.
   */
  hashSmallFiles?(paths: readonly string[], maxBytes: number, within?: string): Promise<SmallFileHash[]>;
  /** hashSmallFiles() with each small file's bytes too (`data`): the source side of a bulk copy of small files. */
  readSmallFiles?(paths: readonly string[], maxBytes: number, within?: string): Promise<SmallFileHash[]>;
  /**
   * Writes a whole small file as createAtomic() with `durable: false` does (temp file in `tmpDir`, time and mode set,
   * renamed over `target`), in one call; resolves with the stat of what landed. For bulk copies only: nothing is
   * fsynced, syncFilesystem() makes the copy durable.
   */
  writeFileBulk?(target: string, tmpDir: string, data: Uint8Array, attrs: FsAttrs, within?: string): Promise<FsStat>;
  /**
   * writeFileBulk() of many files in one call, one after another; each file answers for itself (a link on its way,
   * a full drive), so one refused file leaves the others written. A catch-up copies a folder's small files so: one
   * message per 64 files instead of four per file (resync.ts, copySmallBatch).
   */
  writeFilesBulk?(files: readonly BulkFile[], tmpDir: string, within?: string): Promise<BulkWritten[]>;
  /** Creates the folder and any missing parents, durably (fsyncs each new folder's parent). */
  mkdir(path: string): Promise<void>;
  /** A second name for a file (link(2)); filesystems without hard links (exFAT, FAT) reject it. */
  link(existing: string, newPath: string): Promise<void>;
  /** rename(2), then fsync both folders. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or a whole folder, then fsyncs the parent. */
  remove(path: string): Promise<void>;
  fsyncDir(path: string): Promise<void>;
  /** true when the filesystem holding `path` accepts writes. */
  writable(path: string): Promise<boolean>;
  /**
   * Sets the modification time and/or permission bits of a file or folder, durably, never through a symbolic link;
   * permission bits are left as they are where the filesystem keeps none (exFAT, FAT).
   */
  setAttributes(path: string, a: FsAttrs): Promise<void>;
  /** The path with every symbolic link resolved (realpath(3)): equal to `path` when none is on the way. */
  realpath(path: string): Promise<string>;
  /**
   * Ends the helper threads this filesystem has that are not working on a call, and resolves once they are gone; a
   * later call starts them again. The mirror calls it when it lets go of a drive (stop, eject, forget), so what it took
   * is given back then, not seconds later. A helper stuck in a call on a hung drive is left alone: waiting for it could
   * hang too (watchdog-fs.ts), and it ends on its own once the call comes back.
   */
  release?(): Promise<void>;
}

/** Writes a whole buffer atomically through any Filesystem. */
export async function writeFileAtomic(fs: Filesystem, target: string, tmpDir: string, data: Uint8Array): Promise<void> {
  const w = await fs.createAtomic(target, tmpDir);
  try {
    await w.write(data);
    await w.commit();
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
}

export function errnoCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/** The call's result, or null when nothing is at its path (ENOENT, or ENOTDIR: a file where a folder was looked for). */
export function nullIfAbsent<T>(call: Promise<T>): Promise<T | null> {
  return call.catch((e: unknown) => {
    if (errnoCode(e) === 'ENOENT' || errnoCode(e) === 'ENOTDIR') return null;
    throw e;
  });
}
