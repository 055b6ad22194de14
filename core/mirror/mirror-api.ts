// The Mirror interface: what createMirror/openMirror hand back to every host.
import type { DeletedEntry, DirEntry, FileStat, MemberSpec, MirrorEvent, MirrorStatus, ScrubResult } from '../contract/types.ts';
import type { Conflict, ConflictChoice, ScrubFinding } from '../contract/types.ts';
import type { FileAttrs } from '../contract/types.ts';
import type { FailureCause } from './failure.ts';

export interface Mirror {
  readonly id: string;
  /**
   * Resolves when acknowledged: durable on every synchronous leg. `attrs`: the modification time and permission bits
   * the file lands with on every member (default: now, and the default mode).
   */
  writeFile(path: string, data: Uint8Array | string | AsyncIterable<Uint8Array>, attrs?: FileAttrs): Promise<void>;
  /**
   * Sets the modification time and/or permission bits of a file or folder on every member: a journaled operation like
   * a write (utimens and chmod through a mount). The owner always keeps read and write (the mirror itself must).
   */
  setAttributes(path: string, attrs: FileAttrs): Promise<void>;
  /**
   * A folder on an in-sync fast member's drive (inside its .nas-mirror/) where a host may stage a file it builds at
   * offsets before writing it with writeFile (a FUSE mount); cleared when the mirror opens. null when no such member.
   */
  stagingDir(): string | null;
  /**
   * writeFile() of a file the host staged in stagingDir() (whole: it must not change until this settles). The member
   * whose staging folder holds it lands that very file, renamed into place, instead of a copy; the other members get
   * copies read from it. Acknowledged: the file is gone from the staging folder. Refused or failed: it is left there,
   * still the host's. EINVALIDOPTION when `file` is not directly in a member's staging folder.
   */
  writeStaged(path: string, file: string, attrs?: FileAttrs): Promise<void>;
  /**
   * Throws EINVALIDPATH when no file or folder could be made at `path` (a name a member's filesystem refuses, a
   * reserved or metadata name): a host that creates a file now and writes it later (a mount) refuses it at once.
   */
  checkName(path: string): void;
  readFile(path: string): Promise<Uint8Array>;
  /** A big file in chunks, all from one version of it, checksum-verified at the end (ECHECKSUM instead of bad bytes). */
  openReader(path: string): Promise<{ size: number; chunks: AsyncIterableIterator<Uint8Array> }>;
  readdir(path: string): Promise<DirEntry[]>;
  stat(path: string): Promise<FileStat>;
  mkdir(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Refused with EEXIST when `to` exists, unless `replace` (a file may replace a file, never a folder). */
  rename(from: string, to: string, o?: { replace?: boolean }): Promise<void>;
  status(): MirrorStatus;
  onEvent(listener: (e: MirrorEvent) => void): () => void;
  /** like mdadm --fail; `cause` is what happened to the drive when the caller knows it (default: the user did it) */
  failMember(memberId: string, cause?: FailureCause): Promise<void>;
  /** drain, fsync, mark clean, mark removed */
  eject(memberId: string): Promise<void>;
  /** a drive retired for good: the mirror stops keeping changes for it (records can clear, deletes can be purged) */
  forgetMember(memberId: string): Promise<void>;
  /** new member (or a returning one): resync in the background; resolves with its id once it is attached */
  addMember(spec: MemberSpec): Promise<string>;
  /** drain every behind write, mark all clean */
  stop(): Promise<void>;
  /** wait until every behind write has landed and every resync finished, without stopping anything */
  drain(): Promise<void>;
  /**
   * compare members by checksum and list every finding (damaged, changed outside, missing, extra) with what repair does;
   * with repair, act on them (only on `paths` when given: the plan the user confirmed). Never destroys a version it
   * did not write.
   */
  scrub(o?: { repair?: boolean; paths?: string[] }): Promise<ScrubResult>;

  // -- outside changes (issue 11, part 2) --
  /** Conflicts waiting for the user: changes made on a write-mostly drive, or on two drives differently. */
  conflicts(): Conflict[];
  /** Resolves one conflict; whatever version is replaced goes to its drive's trash (Recently deleted). */
  resolveConflict(id: string, choice: ConflictChoice, memberId?: string): Promise<void>;
  /** Compares every member's tree with its manifest now (size, time, inode) and acts on what changed. */
  reconcile(): Promise<void>;
  /** The last scrub's findings that are still open. */
  findings(): ScrubFinding[];

  // -- recently deleted (issue 11, part 4) --
  /** What was deleted (or replaced by a rename) and can still be restored, newest first, as an in-sync member holds it. */
  listDeleted(): Promise<DeletedEntry[]>;
  /**
   * Writes an entry back at its path (or `to`) as ordinary writes, then deletes the entry; resolves with the path.
   * EEXIST when something is there, unless `replace` (what is there then goes to recently deleted).
   */
  restoreDeleted(id: string, o?: { to?: string; replace?: boolean }): Promise<string>;
  /** Deletes one entry (or 'all') for good now, on every member present; members away delete theirs when back. */
  purgeDeleted(which: string): Promise<void>;
  /** Days deleted files stay recoverable (0: until every member has the delete); recorded in every superblock. */
  setDeletedRetention(days: number): Promise<void>;
}
