// One CSP: the headers' policy is the source; the renderer's page gets it as a meta tag at build time, less frame-ancestors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { APP_CSP, APP_CSP_META } from './csp.ts';

test('the meta policy is the header policy less frame-ancestors, and index.html holds no copy of its own', async () => {
  assert.match(APP_CSP, /frame-ancestors 'none'/);
  assert.doesNotMatch(APP_CSP_META, /frame-ancestors/);
  assert.equal(APP_CSP_META, APP_CSP.replace("; frame-ancestors 'none'", ''));
  const html = await readFile(new URL('../../renderer/index.html', import.meta.url), 'utf8');
  assert.doesNotMatch(html, /http-equiv="Content-Security-Policy"/i);
  const vite = (await import('../../renderer/vite.config.ts')).default as { plugins: { name?: string; transformIndexHtml?: () => { attrs: Record<string, string> }[] }[] };
  const tags = vite.plugins.find((p) => p?.name === 'app-csp')!.transformIndexHtml!();
  assert.deepEqual(tags.map((t) => t.attrs), [{ 'http-equiv': 'Content-Security-Policy', content: APP_CSP_META }]);
});
