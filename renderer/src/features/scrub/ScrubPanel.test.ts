import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import { page } from 'vitest/browser';
import ScrubPanel from './ScrubPanel.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, snapshot } from '../../testing/fake-bridge.ts';
import type { ScrubFinding, ScrubResult } from '../../../../core/contract/types.ts';

const findings: ScrubFinding[] = [
  { path: 'docs/rot.txt', memberId: 'usb', drive: 'USB Backup', kind: 'damaged', action: 'heal', detail: 'Its content no longer matches; repair rewrites it from Internal SSD.' },
  { path: 'docs/new.txt', memberId: 'ssd', drive: 'Internal SSD', kind: 'extra', action: 'take', detail: 'On the drive; repair mirrors this change.' },
  { path: 'docs/edit.txt', memberId: 'usb', drive: 'USB Backup', kind: 'changed-outside', action: 'conflict', detail: 'Edited on the drive; repair records it as a conflict.' },
  { path: 'docs/gone.txt', memberId: 'usb', drive: 'USB Backup', kind: 'missing', action: 'conflict', detail: 'Gone from the drive; a conflict.' },
];

async function setup() {
  const calls: { repair: boolean; paths?: string[] }[] = [];
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot(),
    'mirror.scrub': (o): ScrubResult => {
      calls.push(o);
      if (!o.repair) return { checkedPaths: 40, mismatches: 4, repaired: 0, findings };
      return { checkedPaths: 40, mismatches: 4, repaired: 2, findings: findings.map((f) => ({ ...f, done: true })) };
    },
  });
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  return { app, bridge, calls, screen: render(ScrubPanel, { app }) };
}

test('check lists every finding: the file, the drive, what was found and what repair would do', async () => {
  const { screen, bridge } = await setup();
  await expect.element(screen.getByRole('button', { name: 'Repair…' })).toBeDisabled();
  await screen.getByRole('button', { name: 'Check', exact: true }).click();
  await expect.element(screen.getByTestId('scrub-result')).toHaveTextContent('4 mismatches found: review them below, then Repair.');
  const rows = screen.getByTestId('finding');
  await expect.poll(() => rows.elements().length).toBe(4);
  const cells = rows.elements().map((r) => [...r.children].map((c) => c.textContent?.trim()).join(' | '));
  expect(cells).toEqual([
    'docs/rot.txt | USB Backup | Damaged | Rewrite from a good copy',
    'docs/new.txt | Internal SSD | Extra | Mirror this change',
    'docs/edit.txt | USB Backup | Changed outside | Ask you (conflict)',
    'docs/gone.txt | USB Backup | Missing | Ask you (conflict)',
  ]);
  expect(bridge.callsOf('mirror.scrub')).toEqual([[{ repair: false }]]);
});

test('repair shows its plan first and acts only on the confirmed paths', async () => {
  const { screen, calls } = await setup();
  await screen.getByRole('button', { name: 'Check', exact: true }).click();
  await expect.element(screen.getByRole('button', { name: 'Repair…' })).toBeEnabled();
  await screen.getByRole('button', { name: 'Repair…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Repair what the check found?' });
  await expect.element(dialog).toHaveTextContent('Rewrite 1 damaged copy from a good one.');
  await expect.element(dialog).toHaveTextContent('Mirror 1 change made directly on a fast drive to the other drives.');
  await expect.element(dialog).toHaveTextContent('Record 2 changes made on a backup drive as conflicts for you to resolve (no drive is changed).');
  await expect.element(dialog).toHaveTextContent("A version repair replaces stays recoverable in its drive's Recently deleted.");
  expect(calls).toHaveLength(1); // nothing ran before the confirmation

  await dialog.getByRole('button', { name: 'Repair', exact: true }).click();
  await expect.poll(() => calls.length).toBe(2);
  expect(calls[1]).toEqual({ repair: true, paths: ['docs/rot.txt', 'docs/new.txt', 'docs/edit.txt', 'docs/gone.txt'] });
  await expect.element(screen.getByTestId('scrub-result')).toHaveTextContent('2 copies repaired of 4 mismatches.');
  await expect.poll(() => screen.getByTestId('finding').elements().map((r) => r.lastElementChild?.textContent)).toEqual(['Rewritten', 'Mirrored', 'Now a conflict', 'Now a conflict']);
});

test('cancelling the plan runs nothing', async () => {
  const { screen, calls } = await setup();
  await screen.getByRole('button', { name: 'Check', exact: true }).click();
  await screen.getByRole('button', { name: 'Repair…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect.element(page.getByRole('dialog')).not.toBeInTheDocument();
  expect(calls).toHaveLength(1);
});

test('findings found while a check runs appear as they come', async () => {
  const { screen, bridge, app } = await setup();
  app.scrub.begin(false);
  bridge.emit(11, { type: 'scrub-finding', finding: findings[2]! });
  await expect.element(screen.getByTestId('finding')).toHaveTextContent('docs/edit.txt');
});
