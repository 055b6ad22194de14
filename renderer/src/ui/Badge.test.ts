import { expect, test } from 'vitest';
import { render } from 'vitest-browser-svelte';
import Badge from './Badge.svelte';

test('Badge shows its text with the tone as a class', async () => {
  const screen = render(Badge, { text: 'write-mostly', tone: 'warn' });
  const el = screen.getByTestId('badge');
  await expect.element(el).toHaveTextContent('write-mostly');
  await expect.element(el).toHaveClass('warn');
});
