import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import LagChart from './LagChart.svelte';

const MiB = 1024 * 1024;

test('a young history is drawn over its own span; an old one over the window', async () => {
  const now = 1_000_000;
  const young = render(LagChart, { label: 'Lag of USB', now, windowMs: 120_000,
    samples: [{ t: now - 45_000, writes: 0, bytes: 0 }, { t: now - 5_000, writes: 3, bytes: 2 * MiB }] });
  await expect.element(young.getByRole('img')).toHaveAccessibleName('Lag of USB: peak 2 MB over the last 45 s');
  young.unmount();

  const old = render(LagChart, { label: 'Lag of USB', now, windowMs: 120_000,
    samples: [{ t: now - 600_000, writes: 9, bytes: 9 * MiB }, { t: now - 5_000, writes: 1, bytes: MiB }] });
  // The sample before the window still holds at its left edge, so its value counts toward the peak.
  await expect.element(old.getByRole('img')).toHaveAccessibleName('Lag of USB: peak 9 MB over the last 2 min');
});
