// The SMB share's pieces that need no Samba: the flags, the share name, the generated smb.conf.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseServeArgs } from '../cli-args.ts';
import { sambaConfig, shareNameOf } from './samba.ts';

test('--mount, --smb and --smb-port parse; a bad port is a usage error', () => {
  const r = parseServeArgs(['--mount', '/srv/nas', '--smb', '--smb-port', '4450']);
  assert.ok(r.ok);
  assert.deepEqual([r.args.mount, r.args.smb, r.args.smbPort], ['/srv/nas', true, 4450]);
  const off = parseServeArgs(['--no-mount', '--no-smb']);
  assert.ok(off.ok);
  assert.deepEqual([off.args.mount, off.args.smb], [null, false]);
  for (const bad of [['--smb-port', '0'], ['--smb-port', '70000'], ['--smb-port', 'x'], ['--mount']]) {
    assert.equal(parseServeArgs(bad).ok, false, bad.join(' '));
  }
});

test('share names every client takes, from the mirror\'s name', () => {
  assert.equal(shareNameOf('Family Photos'), 'Family-Photos');
  assert.equal(shareNameOf('Fotos für Oma / 2024'), 'Fotos-fur-Oma-2024');
  assert.equal(shareNameOf('???'), 'NAS-Mirror');
  assert.equal(shareNameOf('x'.repeat(200)).length, 80);
});

test('smb.conf: SMB 3 only, our own folders, the mount as the share, loopback unless the server is on the LAN', () => {
  const base = { dataDir: '/cfg/samba', shareDir: '/cfg/mount', shareName: 'Photos', port: 4450, unixUser: 'root' };
  const lo = sambaConfig({ ...base, host: '127.0.0.1' });
  assert.match(lo, /server min protocol = SMB3/);
  assert.match(lo, /smb ports = 4450/);
  assert.match(lo, /interfaces = 127\.0\.0\.1\n\s+bind interfaces only = yes/);
  assert.match(lo, /\[Photos\]\n\s+path = \/cfg\/mount/);
  assert.match(lo, /passdb backend = tdbsam:\/cfg\/samba\/private\/passdb\.tdb/);
  assert.match(lo, /map to guest = Never/);
  for (const d of ['private', 'lock', 'state', 'cache', 'pid']) assert.match(lo, new RegExp(`${d} dir(ectory)? = /cfg/samba/${d}`));
  assert.match(sambaConfig({ ...base, host: '0.0.0.0' }), /bind interfaces only = no/);
  assert.match(sambaConfig({ ...base, host: '192.168.1.5' }), /interfaces = 192\.168\.1\.5\n\s+bind interfaces only = yes/);
});
