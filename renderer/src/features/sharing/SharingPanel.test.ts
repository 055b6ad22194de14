// Sharing (issue 13): the WebDAV switch goes through the contract, the address is shown and copied, the steps use it,
// and a host that cannot share (the desktop app) says why.
import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { userEvent } from 'vitest/browser';
import SharingPanel from './SharingPanel.svelte';
import { Client } from '../../lib/client.ts';
import { FakeBridge, FakeError } from '../../testing/fake-bridge.ts';
import type { SharingStatus } from '../../../../core/contract/contract.ts';

const URL1 = 'http://192.168.1.5:5178/dav/';
const URL2 = 'http://127.0.0.1:5178/dav/';

function status(over: Partial<SharingStatus['webdav']> = {}): SharingStatus {
  return { webdav: { available: true, enabled: false, urls: [URL1, URL2], user: 'nas', passwordRequired: true, tls: false, loopbackOnly: false, ...over } };
}

function setup(o: { initial?: SharingStatus; refuse?: string } = {}) {
  let current = o.initial ?? status();
  const bridge = new FakeBridge({
    'sharing.status': () => current,
    'sharing.setWebdav': (on) => {
      if (o.refuse) throw new FakeError({ code: 'EINVALIDOPTION', message: o.refuse });
      current = { webdav: { ...current.webdav, enabled: on } };
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
  await expect.element(screen.getByText(/there is no FUSE mount or SMB/)).toBeInTheDocument();
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

test('on loopback without a password: no password asked, and how to open it to other computers', async () => {
  const { screen } = setup({ initial: status({ enabled: true, urls: [URL2], passwordRequired: false, loopbackOnly: true }) });
  await expect.element(screen.getByText(/no password is asked/)).toBeInTheDocument();
  await expect.element(screen.getByTestId('loopback-only')).toHaveTextContent('--host 0.0.0.0 --password');
  await expect.element(screen.getByTestId('connect-steps')).toHaveTextContent(`rclone config create nas webdav url=${URL2} vendor=other`);
});
