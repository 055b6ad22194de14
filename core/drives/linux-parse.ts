// Parsers for Linux tool output (findmnt, lsblk, df via node-disk-info): pure, tested on recorded output.

/** One mounted filesystem as findmnt reports it. */
export interface MountEntry {
  target: string;
  source: string;
  fstype: string;
  label?: string;
  uuid?: string;
  sizeBytes: number;
  availBytes: number;
  options: string[];
}

/** One block device as lsblk reports it (udev-less systems leave label/fstype empty, so we do not ask for them). */
export interface BlockDevice {
  name: string;
  path: string;
  /** Whole-disk parent of a partition (lsblk PKNAME), as a name like "sdb". */
  parent?: string;
  type: string;
  removable: boolean;
  hotplug: boolean;
  rotational: boolean;
  readOnly: boolean;
  transport?: string;
}

type Json = Record<string, unknown>;

/** lsblk before 2.33 printed "0"/"1" strings; later versions print booleans. */
function flag(v: unknown): boolean {
  return v === true || v === '1' || v === 1;
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `findmnt -J -b [-l] -o TARGET,SOURCE,FSTYPE,LABEL,UUID,SIZE,AVAIL,USED,OPTIONS`: tree or list, flattened. */
export function parseFindmnt(json: string): MountEntry[] {
  const out: MountEntry[] = [];
  const walk = (nodes: unknown) => {
    if (!Array.isArray(nodes)) return;
    for (const n of nodes as Json[]) {
      out.push({
        target: String(n.target ?? ''),
        source: String(n.source ?? ''),
        fstype: String(n.fstype ?? ''),
        label: str(n.label),
        uuid: str(n.uuid),
        sizeBytes: num(n.size),
        availBytes: num(n.avail),
        options: typeof n.options === 'string' ? n.options.split(',') : [],
      });
      walk(n.children);
    }
  };
  walk((JSON.parse(json) as Json).filesystems);
  return out;
}

/** `lsblk -J -b -l -o NAME,PATH,PKNAME,TYPE,RM,ROTA,TRAN,HOTPLUG,RO,...`, keyed by device path. */
export function parseLsblk(json: string): Map<string, BlockDevice> {
  const byPath = new Map<string, BlockDevice>();
  const walk = (nodes: unknown, parent?: string) => {
    if (!Array.isArray(nodes)) return;
    for (const n of nodes as Json[]) {
      const name = String(n.name ?? '');
      const dev: BlockDevice = {
        name,
        path: str(n.path) ?? `/dev/${name}`,
        parent: str(n.pkname) ?? parent,
        type: String(n.type ?? ''),
        removable: flag(n.rm),
        hotplug: flag(n.hotplug),
        rotational: flag(n.rota),
        readOnly: flag(n.ro),
        transport: str(n.tran),
      };
      byPath.set(dev.path, dev);
      walk(n.children, name);
    }
  };
  walk((JSON.parse(json) as Json).blockdevices);
  return byPath;
}

/**
 * Kernel and in-memory filesystems a home NAS user would never pick as a drive. tmpfs is out too: a mirror on RAM
 * loses everything at reboot. Loop-mounted images stay (they are block devices), and so do network shares.
 */
const PSEUDO_FS = new Set([
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'tmpfs', 'ramfs', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'tracefs',
  'pstore', 'bpf', 'mqueue', 'hugetlbfs', 'configfs', 'fusectl', 'binfmt_misc', 'autofs', 'efivarfs', 'nsfs',
  'overlay', 'aufs', 'squashfs', 'rpc_pipefs', 'selinuxfs', 'nfsd', 'rootfs', 'zfs_snapshot', 'iso9660', 'udf',
]);
/** Real storage without a /dev source: network shares and ZFS datasets ("pool/data"). */
const NON_BLOCK_REAL_FS = new Set(['nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'zfs']);

/** true for filesystems that can hold a member: on a block device (loop images included) or a network share. */
export function isDriveMount(m: MountEntry): boolean {
  if (PSEUDO_FS.has(m.fstype)) return false;
  // A bind mount shows as "/dev/sda1[/some/dir]": the same drive again, not another one.
  if (m.source.includes('[')) return false;
  if (NON_BLOCK_REAL_FS.has(m.fstype)) return true;
  if (m.fstype.startsWith('fuse.')) return false; // sshfs, rclone, gvfs, lxcfs: no block device behind them
  return m.source.startsWith('/dev/');
}

/** What node-disk-info gives for one `df -P` line (sizes in 1K blocks on Linux). */
export interface DfEntry { filesystem: string; mounted: string; blocks: number; available: number }

/**
 * Pairs each df line with its findmnt entry. node-disk-info splits `df -P` on spaces, so "/media/u/My Passport"
 * arrives as "/media/u/My"; the findmnt target of the same source that starts with the cut text plus a space is the
 * real one (size breaks a tie). Each mount is paired at most once.
 */
export function pairDfWithMounts(df: DfEntry[], mounts: MountEntry[]): Array<[DfEntry, MountEntry]> {
  const used = new Set<MountEntry>();
  const pairs: Array<[DfEntry, MountEntry]> = [];
  for (const d of df) {
    const sameSource = mounts.filter((m) => m.source === d.filesystem && !used.has(m));
    let match = sameSource.find((m) => m.target === d.mounted);
    if (!match) {
      const cut = sameSource.filter((m) => m.target.startsWith(d.mounted + ' '));
      match = cut.find((m) => Math.abs(m.sizeBytes - d.blocks * 1024) < 1024 * 1024) ?? cut[0];
    }
    if (match) {
      used.add(match);
      pairs.push([d, match]);
    }
  }
  return pairs;
}

/** The mounts in df's order, then those df left out, so nothing real is lost. */
export function joinDfWithMounts(df: DfEntry[], mounts: MountEntry[]): MountEntry[] {
  const paired = pairDfWithMounts(df, mounts).map(([, m]) => m);
  const used = new Set(paired);
  return [...paired, ...mounts.filter((m) => !used.has(m))];
}

/** Mount points whose drive is "the system": the one that boots and runs the OS. */
export const SYSTEM_MOUNTS = new Set(['/', '/boot', '/boot/efi', '/efi', '/usr']);

/** The whole disk a device belongs to ("/dev/sdb1" → "/dev/sdb"), through lsblk's parent links. */
export function wholeDisk(devPath: string, devices: Map<string, BlockDevice>): string {
  let dev = devices.get(devPath);
  const seen = new Set<string>();
  while (dev?.parent && !seen.has(dev.path)) {
    seen.add(dev.path);
    const parent = [...devices.values()].find((d) => d.name === dev!.parent);
    if (!parent) break;
    dev = parent;
  }
  return dev?.path ?? devPath;
}

/** Removable for a NAS user means "can be unplugged": the kernel's RM flag, hot-pluggable, or on USB. */
export function isRemovable(devPath: string, devices: Map<string, BlockDevice>): boolean {
  const dev = devices.get(devPath);
  const disk = devices.get(wholeDisk(devPath, devices));
  return [dev, disk].some((d) => d !== undefined && (d.removable || d.hotplug || d.transport === 'usb'));
}

/** findmnt -P (key="value" pairs, \xNN escapes), as `findmnt --poll -P` prints one event per line. */
export function parsePairs(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of line.matchAll(/([A-Z_%-]+)="((?:[^"\\]|\\.)*)"/g)) {
    out[m[1]!] = m[2]!.replace(/\\x([0-9a-fA-F]{2})/g, (_s, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return out;
}

/** /proc/self/mountinfo, for systems without findmnt; paths come octal-escaped ("\040" is a space). */
export function parseMountinfo(text: string): MountEntry[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const dash = line.indexOf(' - ');
    if (dash < 0) continue;
    const left = line.slice(0, dash).split(' ');
    const right = line.slice(dash + 3).split(' ');
    const root = unescape(left[3] ?? '/');
    const source = unescape(right[1] ?? '');
    out.push({
      target: unescape(left[4] ?? ''),
      // findmnt marks bind mounts of a subfolder as "dev[/dir]"; do the same so one filter serves both.
      source: root !== '/' && source.startsWith('/dev/') ? `${source}[${root}]` : source,
      fstype: right[0] ?? '',
      sizeBytes: 0,
      availBytes: 0,
      options: [...(left[5] ?? '').split(','), ...(right[2] ?? '').split(',')],
    });
  }
  return out;
}
