// The demo: two folder "drives" — an Internal SSD and a slow, write-mostly USB Backup — mirrored, with sample files.
// Re-running finds the same folders and re-assembles that mirror instead of creating a new one.
import { existsSync } from 'node:fs';
import { mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { DriveInfo, MemberSpec } from '../contract/types.ts';
import type { AppCore } from './app-core.ts';

/** A USB 2 disk behind a hub, roughly: slow enough that lag is visible, fast enough to drain in seconds. */
export const DEMO_THROTTLE = { latencyMs: 40, bytesPerSecond: 8 * 1024 * 1024 };

export interface DemoLayout { members: MemberSpec[]; drives: DriveInfo[] }

export async function demoLayout(dir: string): Promise<DemoLayout> {
  const ssd = join(dir, 'drives', 'Internal SSD');
  const usb = join(dir, 'drives', 'USB Backup');
  await mkdir(ssd, { recursive: true });
  await mkdir(usb, { recursive: true });
  const fs = await statfs(dir);
  const drive = (mountPoint: string, label: string, usbDrive: boolean): DriveInfo => ({
    mountPoint, label, device: `demo:${label}`, filesystem: 'folder', sizeBytes: fs.blocks * fs.bsize,
    freeBytes: fs.bavail * fs.bsize, removable: usbDrive, rotational: usbDrive, readOnly: false, system: false,
  });
  return {
    members: [
      { path: ssd, label: 'Internal SSD' },
      { path: usb, label: 'USB Backup', writeMostly: true, throttle: DEMO_THROTTLE },
    ],
    drives: [drive(ssd, 'Internal SSD', false), drive(usb, 'USB Backup', true)],
  };
}

function sampleFiles(): [string, Uint8Array | string][] {
  // Deterministic "photos": a few hundred KB of patterned bytes each, so the USB member visibly lags behind.
  const photo = (seed: number, size: number) => new Uint8Array(size).map((_, i) => (i * 31 + seed * 17) & 0xff);
  return [
    ['documents/README.txt', 'Files written here land on the Internal SSD at once and on the USB Backup shortly after.\n'],
    ['documents/notes/shopping.md', '# Shopping\n\n- coffee\n- a second USB disk\n'],
    ['documents/taxes-2024.csv', 'month,amount\n' + Array.from({ length: 12 }, (_, i) => `${i + 1},${(i * 137) % 1000}`).join('\n') + '\n'],
    ['photos/2024/beach.raw', photo(1, 300_000)],
    ['photos/2024/mountains.raw', photo(2, 450_000)],
    ['photos/2025/garden.raw', photo(3, 250_000)],
  ];
}

/** Opens the demo mirror: the saved one if the app re-assembled it, the folders' own if they hold one, else a new one. */
export async function startDemo(core: AppCore, layout: DemoLayout): Promise<void> {
  if (core.mirror) return;
  if (existsSync(join(layout.members[0]!.path, '.nas-mirror'))) {
    await core.assemble({ members: layout.members });
    return;
  }
  await core.create({ members: layout.members, label: 'Demo mirror' });
  const mirror = core.requireMirror();
  for (const dir of ['documents', 'documents/notes', 'photos', 'photos/2024', 'photos/2025']) await mirror.mkdir(dir);
  for (const [path, data] of sampleFiles()) await mirror.writeFile(path, data);
}
