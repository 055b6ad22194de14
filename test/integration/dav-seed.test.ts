// The seed through the share: with the fast member gone and a behind write still pending on the write-mostly one, a
// GET of that path waits for it and returns the new content, never the old (invariant 1), and the UI's events say so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { davMirror, davServer } from '../helpers/dav.ts';
import { seedRead } from '../helpers/engine.ts';

test('seed over WebDAV: a GET from the lagging drive waits for the pending write and returns the new version', async (t) => {
  const { m, fastFs, usbFs } = await davMirror(t);
  const s = await davServer(t, { mirror: m });
  assert.equal((await s.req('PUT', '/dav/report.txt', { body: 'version 1' })).status, 201);
  await m.drain();

  // The USB drive stops short of landing the next version of report.txt: its behind write stays pending.
  usbFs.hang((path, op) => op === 'commit' && path.endsWith('report.txt'));
  assert.equal((await s.req('PUT', '/dav/report.txt', { body: 'version 2' })).status, 204, 'acknowledged by the fast member');
  const r = await seedRead(m, { fast: fastFs, usb: usbFs }, 'report.txt', () => s.req('GET', '/dav/report.txt'));
  assert.equal(r.status, 200);
  assert.equal(r.text, 'version 2', 'never the old version');
  // And listings through the lagging drive show the new size.
  const list = await s.req('PROPFIND', '/dav/report.txt', { headers: { Depth: '0' } });
  assert.match(list.text, /<getcontentlength>9<\/getcontentlength>/);
});
