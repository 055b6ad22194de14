// Loop-mounted drive images for integration tests: real ext4 and exFAT (exfat-fuse) filesystems, always cleaned up.
//
// Usage:
//   const reason = await loopUnsupported(); if (reason) return t.skip(reason);
//   const lab = await loopLab(t);                       // one temp folder; everything in it is undone in t.after
//   const a = await lab.mountExt4Image('My Passport');   // mount point may contain spaces
//   const b = await lab.mountExfatImage('usb', { sizeMiB: 32 });
//   await lab.unmount(a, { lazy: true });                 // like yanking the cable while files are open
//   await lab.remount(a);                                 // same loop device, same mount point
// Needs root, /dev/loop-control and the tools (e2fsprogs, exfatprogs, exfat-fuse); loopUnsupported() says why not.
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface LoopDrive {
  fs: 'ext4' | 'exfat';
  image: string;
  /** /dev/loopN, attached for the whole test (so the image can be mounted again after an unmount). */
  device: string;
  mountPoint: string;
}

export interface LoopLab {
  dir: string;
  mountExt4Image(name: string, o?: { sizeMiB?: number; label?: string }): Promise<LoopDrive>;
  mountExfatImage(name: string, o?: { sizeMiB?: number; label?: string }): Promise<LoopDrive>;
  unmount(d: LoopDrive, o?: { lazy?: boolean }): Promise<void>;
  remount(d: LoopDrive): Promise<void>;
  isMounted(d: LoopDrive): Promise<boolean>;
  /** The exfat-fuse daemon serving an exFAT drive: SIGSTOP it and the drive hangs like a stuck USB bridge. */
  fusePid(d: LoopDrive): Promise<number>;
}

async function has(cmd: string): Promise<boolean> {
  return exec('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false);
}

/** null when loop images can be mounted here; otherwise the reason, ready for t.skip(). */
export async function loopUnsupported(o: { exfat?: boolean } = {}): Promise<string | null> {
  if (process.platform !== 'linux') return 'needs root and loop devices: not Linux';
  if (process.getuid?.() !== 0) return 'needs root and loop devices: not running as root';
  if (!(await access('/dev/loop-control').then(() => true, () => false))) return 'needs root and loop devices: no /dev/loop-control';
  for (const tool of ['losetup', 'mkfs.ext4', 'findmnt', ...(o.exfat ? ['mkfs.exfat', 'mount.exfat-fuse'] : [])]) {
    if (!(await has(tool))) return `needs root and loop devices: ${tool} is not installed`;
  }
  return null;
}

/** true while something is mounted exactly at `mountPoint` (findmnt -M matches the target, spaces and all). */
export async function isMountPoint(mountPoint: string): Promise<boolean> {
  return exec('findmnt', ['-n', '-M', mountPoint]).then(() => true, () => false);
}

/** Device numbers of every loop device backed by `image`; used to double-check the teardown. */
async function loopsFor(image: string): Promise<string[]> {
  const { stdout } = await exec('losetup', ['-j', image]).catch(() => ({ stdout: '' }));
  return stdout.split('\n').filter(Boolean).map((l) => l.slice(0, l.indexOf(':')));
}

export async function loopLab(t: { after(fn: () => Promise<void>): void }): Promise<LoopLab> {
  const dir = await mkdtemp(join(tmpdir(), 'nasm-loop-'));
  const drives: LoopDrive[] = [];

  const make = async (fs: LoopDrive['fs'], name: string, o: { sizeMiB?: number; label?: string } = {}): Promise<LoopDrive> => {
    const image = join(dir, `${name.replace(/[^\w.-]+/g, '_')}.img`);
    const mountPoint = join(dir, name);
    await mkdir(mountPoint, { recursive: true });
    await exec('truncate', ['-s', `${o.sizeMiB ?? 64}M`, image]);
    if (fs === 'ext4') await exec('mkfs.ext4', ['-q', ...(o.label ? ['-L', o.label] : []), image]);
    else await exec('mkfs.exfat', [...(o.label ? ['-L', o.label] : []), image]);
    // Our own losetup (not mount -o loop) so the device survives an unmount, as a plugged-in disk does.
    const device = (await exec('losetup', ['-f', '--show', image])).stdout.trim();
    const d: LoopDrive = { fs, image, device, mountPoint };
    drives.push(d);
    await lab.remount(d);
    return d;
  };

  const lab: LoopLab = {
    dir,
    mountExt4Image: (name, o) => make('ext4', name, o),
    mountExfatImage: (name, o) => make('exfat', name, o),
    isMounted: (d) => isMountPoint(d.mountPoint),
    async fusePid(d) {
      for (const pid of (await readdir('/proc')).filter((n) => /^\d+$/.test(n))) {
        const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
        if (argv[0]?.endsWith('mount.exfat-fuse') && argv.includes(d.device)) return Number(pid);
      }
      throw new Error(`no exfat-fuse process serves ${d.device}`);
    },
    async remount(d) {
      if (d.fs === 'ext4') await exec('mount', [d.device, d.mountPoint]);
      else await exec('mount.exfat-fuse', [d.device, d.mountPoint]);
    },
    async unmount(d, o = {}) {
      await exec('umount', [...(o.lazy ? ['-l'] : []), d.mountPoint]);
    },
  };

  t.after(async () => {
    const problems: string[] = [];
    for (const d of drives.reverse()) {
      // Unmount first, lazily if something still holds it, so the rm below can never reach into a mounted drive.
      for (let i = 0; i < 5 && (await isMountPoint(d.mountPoint)); i++) {
        await exec('umount', [d.mountPoint]).catch(() => exec('umount', ['-l', d.mountPoint]).catch(() => {}));
      }
      if (await isMountPoint(d.mountPoint)) problems.push(`${d.mountPoint} is still mounted`);
      for (const dev of await loopsFor(d.image)) {
        // exfat-fuse may still hold the device for a moment after a lazy unmount: -d then marks it autoclear.
        await exec('losetup', ['-d', dev]).catch(() => {});
      }
    }
    const mounted = (await readFile('/proc/self/mountinfo', 'utf8')).includes(dir.replace(/ /g, '\\040'));
    if (mounted) problems.push(`something under ${dir} is still mounted; not removing it`);
    else await rm(dir, { recursive: true, force: true });
    if (problems.length) throw new Error(`loop teardown: ${problems.join('; ')}`);
  });
  return lab;
}
