// The settings view (issue 15, item 9): reached by its own route; shows the scrub schedule with its last and next run;
// a bad number is refused with a message and nothing is saved; a good form is saved in one settings.update.
import { afterEach, expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import App from '../../App.svelte';
import { AppState } from '../../lib/app-state.svelte.ts';
import { FakeBridge, snapshot } from '../../testing/fake-bridge.ts';
import type { AppSettings } from '../../../../core/contract/contract.ts';

const last = Date.parse('2026-11-01T03:00:00Z');
const next = Date.parse('2026-12-01T03:00:00Z');

async function open() {
  let settings: AppSettings = { notifications: true, deletedRetentionDays: 30, scrubSchedule: 'monthly', scrubRepair: true, lastScrubAt: last, nextScrubAt: next };
  const bridge = new FakeBridge({
    'app.snapshot': () => snapshot({ settings }),
    'settings.update': (patch) => {
      settings = { ...settings, ...patch, ...(patch.scrubSchedule === 'off' ? { nextScrubAt: undefined } : {}) };
      return settings;
    },
  });
  history.replaceState(null, '', '#/settings');
  const app = new AppState(bridge, { tickMs: 0 });
  await app.start();
  return { bridge, app, screen: render(App, { app }) };
}

afterEach(() => { history.replaceState(null, '', '#'); });

const date = (ms: number) => new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

test('its own route and tab; the scrub schedule with the last and the next run', async () => {
  const { screen } = await open();
  await expect.element(screen.getByRole('heading', { name: 'Settings of Home' })).toBeVisible();
  await expect.element(screen.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');
  await expect.element(screen.getByRole('combobox', { name: 'How often' })).toHaveValue('monthly');
  await expect.element(screen.getByTestId('scrub-dates')).toHaveTextContent(`Last run${date(last)}`);
  await expect.element(screen.getByTestId('scrub-dates')).toHaveTextContent(`Next run${date(next)}`);
  await expect.element(screen.getByTestId('next-start')).toHaveTextContent('the mirror uses them from its next start');
});

test('bad numbers are refused with a message for each, and nothing is saved', async () => {
  const { screen, bridge } = await open();
  const retention = screen.getByRole('textbox', { name: 'Keep deleted files for (days)' });
  const writes = screen.getByRole('textbox', { name: 'Most writes a write-mostly drive may lag behind' });
  const timeout = screen.getByRole('textbox', { name: 'Fail a drive that stops answering after (seconds)' });
  await retention.fill('-3');
  await writes.fill('2.5');
  await timeout.fill('99999');
  await screen.getByRole('combobox', { name: 'How often' }).selectOptions('Weekly');
  await screen.getByRole('button', { name: 'Save settings' }).click();
  await expect.element(screen.getByRole('alert')).toHaveTextContent('Nothing was saved: correct the fields marked above.');
  await expect.element(retention).toHaveAccessibleDescription('Enter a whole number of days (0 to 3,650).');
  await expect.element(writes).toHaveAccessibleDescription('Enter a whole number of writes (0 to 1,000,000).');
  await expect.element(timeout).toHaveAccessibleDescription('At most 3,600 seconds.');
  await expect.element(retention).toHaveAttribute('aria-invalid', 'true');
  expect(bridge.callsOf('settings.update')).toEqual([]);
});

test('a good form is saved in one call: schedule, retention, and the options for the next start', async () => {
  const { screen, bridge } = await open();
  await screen.getByRole('combobox', { name: 'How often' }).selectOptions('Off');
  await screen.getByRole('textbox', { name: 'Keep deleted files for (days)' }).fill('7');
  await screen.getByRole('textbox', { name: 'Most data it may lag behind (MiB)' }).fill('16');
  await screen.getByRole('textbox', { name: 'Fail a drive that stops answering after (seconds)' }).fill('45');
  await screen.getByRole('button', { name: 'Save settings' }).click();
  await expect.element(screen.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  expect(bridge.callsOf('settings.update')).toEqual([[{ scrubSchedule: 'off', scrubRepair: true, deletedRetentionDays: 7, maxBehindBytes: 16 * 1024 * 1024, memberTimeoutMs: 45_000 }]]);
  await expect.element(screen.getByTestId('scrub-dates')).toHaveTextContent('Next runNot scheduled');
});

test('what is typed while a save runs stays in the form, and is said not saved yet', async () => {
  const { screen, bridge } = await open();
  const saved = bridge.handlers['settings.update']!;
  let finish!: () => void;
  bridge.handlers['settings.update'] = (patch) => new Promise((resolve) => { finish = () => resolve(saved(patch)); });
  const retention = screen.getByRole('textbox', { name: 'Keep deleted files for (days)' });
  await retention.fill('14');
  await screen.getByRole('button', { name: 'Save settings' }).click();
  await expect.element(screen.getByRole('button', { name: 'Saving…' })).toBeDisabled();
  await retention.fill('7'); // the save is slow (a loaded machine): the user goes on typing
  finish();
  await expect.element(screen.getByRole('status')).toHaveTextContent('Saved; what you changed since is not saved yet.');
  await expect.element(retention).toHaveValue('7');
  expect(bridge.callsOf('settings.update')).toHaveLength(1);
});
