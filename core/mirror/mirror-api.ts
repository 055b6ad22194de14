// The Mirror interface: what createMirror/openMirror hand back to every host.
import type { DirEntry, FileStat, MemberSpec, MirrorEvent, MirrorStatus, ScrubResult } from '../api/types.ts';

export interface Mirror {
  readonly id: string;
  /** Resolves when acknowledged: durable on every synchronous leg. */
  writeFile(path: string, data: Uint8Array | string | AsyncIterable<Uint8Array>): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  /** A big file in chunks, all from one version of it, checksum-verified at the end (ECHECKSUM instead of bad bytes). */
  openReader(path: string): Promise<{ size: number; chunks: AsyncIterableIterator<Uint8Array> }>;
  readdir(path: string): Promise<DirEntry[]>;
  stat(path: string): Promise<FileStat>;
  mkdir(path: string): Promise<void>;
  remove(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  status(): MirrorStatus;
  onEvent(listener: (e: MirrorEvent) => void): () => void;
  /** like mdadm --fail */
  failMember(memberId: string): Promise<void>;
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
  /** compare members by checksum; with repair, heal from a good copy */
  scrub(o?: { repair?: boolean }): Promise<ScrubResult>;
}
