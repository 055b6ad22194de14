// Linux parsers on output recorded on this machine (findmnt, lsblk, df) and on a desktop layout (USB disk, NVMe, SD card).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  isDriveMount, isRemovable, joinDfWithMounts, parseFindmnt, parseLsblk, parseMountinfo, parsePairs, wholeDisk,
} from './linux-parse.ts';
import { dfLikeNodeDiskInfo } from './fixtures/df-rows.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

test('findmnt: flat list parsed with sizes in bytes, label and options', () => {
  const mounts = parseFindmnt(fixture('linux-findmnt.json'));
  const passport = mounts.find((m) => m.target === '/media/nas/My Passport')!;
  assert.deepEqual({ ...passport, uuid: undefined }, {
    target: '/media/nas/My Passport', source: '/dev/loop0', fstype: 'ext4', label: 'BACKUP', uuid: undefined,
    sizeBytes: 57381888, availBytes: 52671488, options: ['rw', 'relatime'],
  });
  assert.equal(mounts.find((m) => m.target === '/media/nas/ex')!.fstype, 'fuseblk');
});

test('findmnt tree output (children) is flattened too', () => {
  const tree = JSON.stringify({ filesystems: [{ target: '/', source: '/dev/sda2', fstype: 'ext4', size: 10, avail: 5, options: 'rw',
    children: [{ target: '/boot/efi', source: '/dev/sda1', fstype: 'vfat', size: '3', avail: '1', options: 'ro,noatime' }] }] });
  assert.deepEqual(parseFindmnt(tree).map((m) => [m.target, m.sizeBytes, m.options[0]]), [['/', 10, 'rw'], ['/boot/efi', 3, 'ro']]);
});

test('real drives only: loop images, exFAT via fuseblk and network shares stay; proc, tmpfs, cgroup, bind mounts go', () => {
  const kept = parseFindmnt(fixture('linux-findmnt.json')).filter(isDriveMount).map((m) => m.target);
  assert.deepEqual(kept, ['/', '/media/nas/My Passport', '/media/nas/ex']);
  const m = (fstype: string, source: string) => ({ target: '/x', source, fstype, sizeBytes: 1, availBytes: 1, options: [] });
  assert.equal(isDriveMount(m('nfs4', 'nas:/export')), true);
  assert.equal(isDriveMount(m('ext4', '/dev/sda1[/srv/data]')), false);
  assert.equal(isDriveMount(m('fuse.sshfs', 'me@host:')), false);
  assert.equal(isDriveMount(m('squashfs', '/dev/loop3')), false);
});

test('df rows from node-disk-info get their cut mount points back from findmnt', () => {
  const df = dfLikeNodeDiskInfo(fixture('linux-df.txt'), 1);
  assert.equal(df.find((d) => d.filesystem === '/dev/loop0')!.mounted, '/media/nas/My', 'node-disk-info cuts at the space');
  const joined = joinDfWithMounts(df, parseFindmnt(fixture('linux-findmnt.json'))).filter(isDriveMount);
  assert.deepEqual(joined.map((m) => m.target), ['/', '/media/nas/My Passport', '/media/nas/ex']);
});

test('two mounts cut to the same prefix are told apart by size', () => {
  const mk = (target: string, sizeBytes: number) => ({ target, source: '/dev/sdb1', fstype: 'ext4', sizeBytes, availBytes: 0, options: [] });
  const mounts = [mk('/mnt/My Disk', 10 * 2 ** 30), mk('/mnt/My Other', 2 * 2 ** 30)];
  const joined = joinDfWithMounts([{ filesystem: '/dev/sdb1', mounted: '/mnt/My', blocks: 2 * 2 ** 20, available: 0 }], mounts);
  assert.equal(joined[0]!.target, '/mnt/My Other');
  assert.equal(joined.length, 2, 'the other one is kept from findmnt');
});

test('lsblk: USB disk partitions are removable through their parent; an SD card by RM; NVMe is not', () => {
  const devs = parseLsblk(fixture('linux-lsblk-desktop.json'));
  assert.equal(wholeDisk('/dev/sda1', devs), '/dev/sda');
  assert.equal(isRemovable('/dev/sda1', devs), true);
  assert.equal(isRemovable('/dev/mmcblk0p1', devs), true);
  assert.equal(isRemovable('/dev/nvme0n1p2', devs), false);
  assert.equal(devs.get('/dev/nvme0n1p2')!.rotational, false);
  assert.equal(devs.get('/dev/sda1')!.rotational, true);
});

test('lsblk from util-linux before 2.33 ("1"/"0" strings, tree form) reads the same', () => {
  const devs = parseLsblk(fixture('linux-lsblk-old.json'));
  assert.equal(devs.get('/dev/sdb1')!.parent, 'sdb');
  assert.equal(devs.get('/dev/sdb1')!.removable, true);
  assert.equal(devs.get('/dev/sdb1')!.readOnly, false);
  assert.equal(isRemovable('/dev/sdb1', devs), true);
});

test('lsblk recorded here: loop devices are neither removable nor hot-pluggable', () => {
  const devs = parseLsblk(fixture('linux-lsblk.json'));
  assert.equal(devs.get('/dev/vda')!.rotational, true);
  assert.equal(isRemovable('/dev/vda', devs), false);
});

test('mountinfo fallback: octal escapes decoded, bind mounts marked, options merged', () => {
  const text = [
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard',
    '42 27 7:0 / /tmp/probe/My\\040Passport rw,nosuid - fuseblk /dev/loop0 rw,user_id=0',
    '50 27 254:0 /srv/data /data rw - ext4 /dev/vda rw',
  ].join('\n');
  const ms = parseMountinfo(text);
  assert.equal(ms[1]!.target, '/tmp/probe/My Passport');
  assert.deepEqual(ms[1]!.options.slice(0, 2), ['rw', 'nosuid']);
  assert.equal(ms[2]!.source, '/dev/vda[/srv/data]');
  assert.deepEqual(ms.filter(isDriveMount).map((m) => m.target), ['/', '/tmp/probe/My Passport']);
});

test('findmnt --poll -P lines: quoted values with \\x escapes', () => {
  assert.deepEqual(parsePairs('ACTION="mount" TARGET="/media/u/My Passport" SOURCE="/dev/sdb1"'),
    { ACTION: 'mount', TARGET: '/media/u/My Passport', SOURCE: '/dev/sdb1' });
  assert.equal(parsePairs('TARGET="/mnt/a\\x22b"').TARGET, '/mnt/a"b');
});
