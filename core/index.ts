// The public surface of the NAS Mirror core: the engine, the drives layer, and the shared types.
export type {
  MemberSpec, MirrorOptions, MemberState, MirrorState, MemberStatus, MirrorStatus, MirrorEvent, DirEntry, FileStat,
  ScrubResult, MirrorErrorCode, DriveInfo, PlacementIssue, EjectProgress, ResyncProgress,
} from './contract/types.ts';
// -- recently deleted (issue 11, part 4) --
export type { DeletedEntry } from './contract/types.ts';
// -- outside changes (issue 11, part 2) --
export type {
  Conflict, ConflictChoice, ConflictVersion, FindingAction, FindingKind, OutsideChangeKind, ScrubFinding,
} from './contract/types.ts';
export type { Mirror } from './mirror/mirror-api.ts';
export { MirrorError } from './contract/errors.ts';
export { createMirror, assembleMirror } from './engine/assemble.ts';
export type { Filesystem, AtomicWriter, AppendHandle, FsStat, FsEntry } from './fs/filesystem.ts';
export { NodeFs } from './fs/node-fs.ts';
export { SlowFs } from './fs/slow-fs.ts';
export type { EngineMemberSpec } from './mirror/member-folder.ts';
export { listDrives, watchDrives, checkPlacement, ejectDrive, attachHotplug } from './drives/index.ts';
// -- adoption (issue 11, part 1) --
export { inspectFolder } from './drives/index.ts';
export type { FolderContents } from './contract/types.ts';
export { ROOT_SYSTEM_NAMES, ANYWHERE_SYSTEM_NAMES, isSystemName } from './mirror/system-names.ts';
