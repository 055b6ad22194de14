// What AppCore needs from the engine and the drives layer, as one interface: the real ones in production
// (core-deps.ts); tests pass them with a fixed drive list where they need one.
import type { DriveInfo, EjectProgress, FolderContents, MemberSpec, MirrorOptions, PlacementIssue } from '../contract/types.ts';
import type { Mirror } from '../mirror/mirror-api.ts';

export type DriveChange = { type: 'added' | 'removed'; drive: DriveInfo };

/** Placement of a new mirror's folders: whose files it starts from; or folders being added to the open mirror. */
export interface PlacementOptions { adoptFrom?: number; adding?: boolean }

export interface CoreDeps {
  createMirror(o: MirrorOptions): Promise<Mirror>;
  assembleMirror(o: Omit<MirrorOptions, 'label'>): Promise<Mirror>;
  listDrives(): Promise<DriveInfo[]>;
  /** Returns unsubscribe. */
  watchDrives(listener: (e: DriveChange) => void): () => void;
  checkPlacement(specs: MemberSpec[], o?: PlacementOptions): Promise<PlacementIssue[]>;
  /** What a folder already holds, counted within bounds (mirror/inspect-folder.ts). */
  inspectFolder(path: string): Promise<FolderContents>;
  /** Engine eject, then unmount and power off; resolves only after the drive is unmounted. */
  ejectDrive(mirror: Mirror, memberId: string, onProgress?: (p: EjectProgress) => void): Promise<void>;
  /** Re-adds returning member drives and fails vanished ones while the mirror is open; returns detach. */
  attachHotplug?(mirror: Mirror, onError: (e: unknown) => void): () => void;
}
