// listDrives: the platform's listing (node-disk-info's df where it has one), enriched with the platform's own tools.
import { getDiskInfo } from 'node-disk-info';
import type { DriveInfo } from '../contract/types.ts';
import { nodeCommandRunner, type CommandRunner } from './command-runner.ts';
import type { DfEntry } from './linux-parse.ts';
import { listLinuxDrives } from './linux-drives.ts';
import { listMacDrives } from './macos-drives.ts';
import { listWindowsDrives } from './windows-drives.ts';

/** node-disk-info runs `df -P` synchronously; its rows are 1K blocks on Linux, 512-byte blocks on macOS. */
async function dfFromNodeDiskInfo(): Promise<DfEntry[]> {
  const rows = await getDiskInfo();
  return rows.map((r) => ({ filesystem: r.filesystem, mounted: r.mounted, blocks: r.blocks, available: r.available }));
}

export async function listDrives(runner: CommandRunner = nodeCommandRunner): Promise<DriveInfo[]> {
  switch (process.platform) {
    case 'linux': return listLinuxDrives(runner, dfFromNodeDiskInfo);
    case 'darwin': return listMacDrives(runner, dfFromNodeDiskInfo);
    case 'win32': return listWindowsDrives(runner);
    default: throw new Error(`Listing drives is not supported on ${process.platform}; type the member folders' paths instead.`);
  }
}
