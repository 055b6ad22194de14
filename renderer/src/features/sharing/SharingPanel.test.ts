// Sharing (issue 13): the WebDAV switch goes through the contract, the address is shown and copied, the steps use it,
// and a host that cannot share (the desktop app) says why. Issue 14: the mount's switch with its folder, the SMB
// share's address, errors with what to do, and "Linux only, use WebDAV" on a Mac or a Windows PC.
import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { userEvent } from 'vitest/browser';
import SharingPanel from './SharingPanel.svelte';
import { Client } from '../../lib/client.ts';
import { FakeBridge, FakeError } from '../../testing/fake-bridge.ts';
import type { SharingStatus } from '../../../../core/contract/contract.ts';

const URL1 = 'http://192.168.1.5:5178/dav/';
const URL2 = 'http://127.0.0.1:5178/dav/';

function status(over: Partial<SharingStatus['webdav']> = {}, local: Partial<Pick<SharingStatus, 'platform' | 'mount' | 'smb'>> = {}): SharingStatus {
  return {
    webdav: { available: true, enabled: false, urls: [URL1, URL2], user: 'nas', passwordRequired: true, tls: false, loopbackOnly: false, ...over },
    platform: 'linux', mount: { available: true, enabled: false }, smb: { enabled: false, user: 'nas' }, ...local,
  };
}

function setup(o: { initial?: SharingStatus; refuse?: string; refuseMount?: string } = {}) {
  let current = o.initial ?? status();
  const bridge = new FakeBridge({
    'sharing.status': () => current,
    'sharing.setWebdav': (on) => {
      if (o.refuse) throw new FakeError({ code: 'EINVALIDOPTION', message: o.refuse });
      current = { ...current, webdav: { ...current.webdav, enabled: on } };
      return current;
    },
    'sharing.setMount': (want) => {
      if (o.refuseMount) throw new FakeError({ code: 'EINVALIDOPTION', message: o.refuseMount });
      current = { ...current, mount: want.on ? { available: true, enabled: true, dir: want.dir } : { available: true, enabled: false, dir: current.mount.dir } };
      return current;
    },
  });
  const screen = render(SharingPanel, { client: new Client(bridge) });
  return { bridge, screen };
}

test('the switch turns the share on and off through sharing.setWebdav, and the address appears while it is on', async () => {
  const { bridge, screen } = setup();
  const toggle = screen.getByRole('switch', { name: /WebDAV share/ });
  await expect.element(toggle).not.toBeChecked();
  await expect.element(screen.getByRole('textbox', { name: 'Share address' })).not.toBeInTheDocument();

  await toggle.click();
  await expect.poll(() => bridge.callsOf('sharing.setWebdav')).toEqual([[true]]);
  await expect.element(toggle).toBeChecked();
  const fields = screen.getByRole('textbox', { name: 'Share address' });
  await expect.poll(() => fields.elements().map((e) => (e as HTMLInputElement).value)).toEqual([URL1, URL2]);
  await expect.element(screen.getByText(/User name nas; the password is this server's password/)).toBeInTheDocument();

  await toggle.click();
  await expect.poll(() => bridge.callsOf('sharing.setWebdav')).toEqual([[true], [false]]);
  await expect.element(toggle).not.toBeChecked();
  await expect.element(screen.getByRole('textbox', { name: 'Share address' })).not.toBeInTheDocument();
});

/** What the clipboard holds, pasted into a field of our own. */
async function pasted(): Promise<string> {
  const probe = document.createElement('textarea');
  document.body.append(probe);
  try {
    probe.focus();
    await userEvent.paste();
    await expect.poll(() => probe.value).not.toBe('');
    return probe.value;
  } finally {
    probe.remove();
  }
}

test('Copy puts the address on the clipboard', async () => {
  const { screen } = setup({ initial: status({ enabled: true }) });
  await screen.getByRole('button', { name: 'Copy' }).first().click();
  await expect.element(screen.getByRole('status').filter({ hasText: 'Copied' })).toBeInTheDocument();
  expect(await pasted()).toBe(URL1);
});

test('over plain http on the LAN (no Clipboard API) Copy still copies, from the selected field', async () => {
  // What a page that is not a secure context sees: no navigator.clipboard at all.
  Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
  try {
    const { screen } = setup({ initial: status({ enabled: true }) });
    await screen.getByRole('button', { name: 'Copy' }).nth(1).click();
    await expect.element(screen.getByRole('status').filter({ hasText: 'Copied' })).toBeInTheDocument();
    expect(await pasted()).toBe(URL2);
  } finally {
    delete (navigator as { clipboard?: unknown }).clipboard; // the prototype's getter again
  }
});

test('the steps for macOS, Windows, Linux and rclone use the address, the user nas, and dav:// for Linux', async () => {
  const { screen } = setup({ initial: status({ enabled: true }) });
  const steps = screen.getByTestId('connect-steps');
  await expect.element(steps).toHaveTextContent('Go → Connect to Server');
  await expect.element(steps).toHaveTextContent(`net use Z: ${URL1} /user:nas *`);
  await expect.element(steps).toHaveTextContent('gio mount dav://192.168.1.5:5178/dav/');
  await expect.element(steps).toHaveTextContent(`sudo mount -t davfs ${URL1} /mnt/nas`);
  await expect.element(steps).toHaveTextContent(`rclone config create nas webdav url=${URL1} vendor=other user=nas pass=PASSWORD --obscure`);
});

test('a refused switch says why and stays off', async () => {
  const why = 'The server listens beyond this computer without a password. Restart it with --password.';
  const { bridge, screen } = setup({ refuse: why });
  const toggle = screen.getByRole('switch', { name: /WebDAV share/ });
  await toggle.click();
  await expect.element(screen.getByRole('alert')).toHaveTextContent(why);
  expect(bridge.callsOf('sharing.setWebdav')).toEqual([[true]]);
  await expect.element(toggle).not.toBeChecked();
});

test('a host that cannot share (the desktop app) gives its reason and a disabled switch', async () => {
  const reason = 'The desktop app does not serve the share yet. Run NAS Mirror headless with `npm run serve -- --webdav`.';
  const { screen } = setup({ initial: status({ available: false, urls: [], reason }) });
  await expect.element(screen.getByTestId('sharing-unavailable')).toHaveTextContent(reason);
  await expect.element(screen.getByRole('switch', { name: /WebDAV share/ })).toBeDisabled();
});

test('a host that shares (serve) does not say the share is "not here yet"', async () => {
  const { screen } = setup();
  await expect.element(screen.getByRole('switch', { name: /WebDAV share/ })).toBeEnabled();
  // The note was shown whatever the host, so `serve` itself told the user to run `npm run serve`.
  expect(screen.container.textContent).not.toMatch(/Not here yet|desktop app/);
});

test('on loopback without a password: no password asked, and how to open it to other computers', async () => {
  const { screen } = setup({ initial: status({ enabled: true, urls: [URL2], passwordRequired: false, loopbackOnly: true }) });
  await expect.element(screen.getByText(/no password is asked/)).toBeInTheDocument();
  await expect.element(screen.getByTestId('loopback-only')).toHaveTextContent('--host 0.0.0.0 --password');
  await expect.element(screen.getByTestId('connect-steps')).toHaveTextContent(`rclone config create nas webdav url=${URL2} vendor=other`);
});

// -- the mount and the SMB share (issue 14) --

test('the mount switch mounts at the folder typed in through sharing.setMount, then shows where; off unmounts', async () => {
  const { bridge, screen } = setup();
  const toggle = screen.getByRole('switch', { name: /Mount as a folder/ });
  await expect.element(toggle).not.toBeChecked();
  await screen.getByRole('textbox', { name: 'Mount folder' }).fill('/srv/nas');
  await toggle.click();
  await expect.poll(() => bridge.callsOf('sharing.setMount')).toEqual([[{ on: true, dir: '/srv/nas' }]]);
  await expect.element(toggle).toBeChecked();
  await expect.element(screen.getByTestId('mount-dir')).toHaveTextContent('Mounted at /srv/nas');
  await expect.element(screen.getByRole('textbox', { name: 'Mount folder' })).not.toBeInTheDocument();

  await toggle.click();
  await expect.poll(() => bridge.callsOf('sharing.setMount')).toEqual([[{ on: true, dir: '/srv/nas' }], [{ on: false }]]);
  await expect.element(toggle).not.toBeChecked();
  // The folder stays filled in with the one last used (the host remembers it too).
  await expect.element(screen.getByRole('textbox', { name: 'Mount folder' })).toHaveValue('/srv/nas');
});

test('a remembered mount shows as on with its folder; without a folder typed the switch asks for one and calls nothing', async () => {
  const first = setup({ initial: status({}, { mount: { available: true, enabled: true, dir: '/media/photos' } }) });
  await expect.element(first.screen.getByRole('switch', { name: /Mount as a folder/ })).toBeChecked();
  await expect.element(first.screen.getByTestId('mount-dir')).toHaveTextContent('Mounted at /media/photos');
  first.screen.unmount();

  const { bridge, screen } = setup();
  const toggle = screen.getByRole('switch', { name: /Mount as a folder/ });
  await toggle.click();
  await expect.element(screen.getByRole('alert')).toHaveTextContent('First type the folder to mount it at: an empty folder');
  await expect.element(toggle).not.toBeChecked();
  expect(bridge.callsOf('sharing.setMount')).toEqual([]);
});

test('a refused folder says why and what to do, and the switch stays off', async () => {
  const why = '/srv/nas is not empty (3 entries): the mount would hide what is there. Choose an empty folder, or create one (mkdir -p \'/srv/nas/nas\').';
  const { bridge, screen } = setup({ refuseMount: why });
  await screen.getByRole('textbox', { name: 'Mount folder' }).fill('/srv/nas');
  const toggle = screen.getByRole('switch', { name: /Mount as a folder/ });
  await toggle.click();
  await expect.element(screen.getByRole('alert')).toHaveTextContent(`The mirror was not mounted at /srv/nas: ${why}`);
  expect(bridge.callsOf('sharing.setMount')).toEqual([[{ on: true, dir: '/srv/nas' }]]);
  await expect.element(toggle).not.toBeChecked();
});

test('without FUSE (no /dev/fuse, the binding not built) the switch is disabled and the reason says what to do', async () => {
  const reason = '/dev/fuse is missing: load the fuse kernel module (modprobe fuse) or, in a container, pass the device in.';
  const { screen } = setup({ initial: status({}, { mount: { available: false, enabled: false, reason } }) });
  await expect.element(screen.getByRole('switch', { name: /Mount as a folder/ })).toBeDisabled();
  await expect.element(screen.getByTestId('mount-unavailable')).toHaveTextContent(reason);
});

test('while Samba runs the SMB share shows its address and port; while off, how to start it', async () => {
  const on = setup({ initial: status({}, { mount: { available: true, enabled: true, dir: '/srv/nas' }, smb: { enabled: true, user: 'nas', unc: '\\\\192.168.1.5\\Family-Photos', port: 445 } }) });
  const line = on.screen.getByTestId('smb-share');
  await expect.element(line).toHaveTextContent('SMB share \\\\192.168.1.5\\Family-Photos on port 445');
  await expect.element(line).toHaveTextContent('smb://192.168.1.5/Family-Photos');
  on.screen.unmount();

  const off = setup();
  await expect.element(off.screen.getByTestId('smb-off')).toHaveTextContent('npm run serve -- --smb --password');
  await expect.element(off.screen.getByTestId('smb-share')).not.toBeInTheDocument();
});

test('on a Mac or a Windows PC the section says FUSE is Linux-only here and points to WebDAV, with no switch', async () => {
  for (const [platform, where] of [['darwin', 'Connect to Server'], ['win32', 'Map network drive']] as const) {
    const { screen } = setup({ initial: status({}, { platform, mount: { available: false, enabled: false, reason: 'Linux only' } }) });
    const note = screen.getByTestId('mount-linux-only');
    await expect.element(note).toHaveTextContent('work on Linux only here');
    await expect.element(note).toHaveTextContent('use the WebDAV share above');
    await expect.element(note).toHaveTextContent(where);
    await expect.element(screen.getByRole('switch', { name: /Mount as a folder/ })).not.toBeInTheDocument();
    screen.unmount();
  }
});
