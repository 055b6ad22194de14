import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secureWindowOptions } from './window-options.ts';

test('the window is isolated, sandboxed and has no Node integration', () => {
  const wp = secureWindowOptions('/x/preload.cjs').webPreferences!;
  assert.equal(wp.contextIsolation, true);
  assert.equal(wp.sandbox, true);
  assert.equal(wp.nodeIntegration, false);
  assert.equal(wp.webSecurity, true);
  assert.equal(wp.preload, '/x/preload.cjs');
});
