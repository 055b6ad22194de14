// The drives layer's public surface: discovery, hot-plug, placement checks and safe eject.
export { listDrives } from './list-drives.ts';
export { watchDrives, type DriveChange, type Unwatch } from './watch-drives.ts';
export { checkPlacement } from './placement.ts';
export { inspectFolder, describeContents } from '../mirror/inspect-folder.ts';
export { ejectDrive } from './eject.ts';
export { attachHotplug } from './hotplug.ts';
export type { CommandRunner } from './command-runner.ts';
