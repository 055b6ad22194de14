// `serve --webdav` as a process: the printed line, the setting remembered in the config folder, the Sharing switch over
// the contract, a LAN bind refused without a password, and the share over TLS with the existing certificate flags.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServe } from '../helpers/serve-process.ts';
import { basic, savedMirror, send, startDavServe } from '../helpers/dav.ts';
import { connect } from '../helpers/ws-client.ts';
import { tempDir } from '../helpers/tmp.ts';
import type { SharingStatus } from '../../core/contract/contract.ts';

test('serve --webdav prints the share line and remembers it; the Sharing switch turns it off, and that is remembered too', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t);
  const { config } = await savedMirror(dir);
  const first = await startDavServe(['--config', config, '--port', '0', '--webdav']);
  t.after(() => first.stop('SIGKILL'));
  assert.match(first.davUrl, /^http:\/\/127\.0\.0\.1:\d+\/dav\/$/);
  const port = Number(new URL(first.davUrl).port);
  assert.equal((await send(port, 'PUT', '/dav/hello.txt', { body: 'hello' })).status, 201, 'loopback without a password: no sign-in');
  assert.deepEqual(JSON.parse(await readFile(join(config, 'sharing.json'), 'utf8')), { webdav: true });
  assert.equal(await first.stop(), 0);

  // No flag: on, as remembered. The UI's switch turns it off at once.
  const second = await startDavServe(['--config', config, '--port', '0']);
  t.after(() => second.stop('SIGKILL'));
  const port2 = Number(new URL(second.davUrl).port);
  assert.equal((await send(port2, 'GET', '/dav/hello.txt')).body.toString(), 'hello');
  const c = await connect(`ws://127.0.0.1:${port2}/rpc`, { origin: `http://127.0.0.1:${port2}` });
  const status = await c.call('sharing.status');
  assert.ok(status.ok);
  const value = status.value as SharingStatus;
  assert.deepEqual(value.webdav, { available: true, enabled: true, urls: [second.davUrl], user: 'nas', passwordRequired: false, tls: false, loopbackOnly: true });
  // The mount and SMB (issue 14): neither asked for here.
  assert.equal(value.platform, process.platform);
  assert.equal(value.mount.enabled, false);
  assert.deepEqual(value.smb, { enabled: false, user: 'nas' });
  const off = await c.call('sharing.setWebdav', false);
  assert.ok(off.ok && (off.value as { webdav: { enabled: boolean } }).webdav.enabled === false);
  assert.equal((await send(port2, 'GET', '/dav/hello.txt')).status, 404, 'off: /dav/ is not served');
  c.close();
  assert.equal(await second.stop(), 0);

  const third = await startServe(['--config', config, '--port', '0']);
  t.after(() => third.stop('SIGKILL'));
  assert.equal((await send(Number(new URL(third.url).port), 'GET', '/dav/hello.txt')).status, 404, 'off is remembered');
  assert.equal(await third.stop(), 0);
});

test('serve --webdav beyond loopback: refused without a password; with one, Basic auth over TLS', { timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t);
  const { config } = await savedMirror(dir);
  await assert.rejects(startDavServe(['--config', config, '--host', '0.0.0.0', '--port', '0', '--webdav']), /needs a password|without a password/);

  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  const made = await promisify(execFile)('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']).then(() => true, () => false);
  if (!made) return t.skip('needs openssl to make a test certificate: apt-get install -y openssl');
  const s = await startDavServe(['--config', config, '--host', '0.0.0.0', '--port', '0', '--webdav', '--password', 'pw', '--tls-cert', cert, '--tls-key', key]);
  t.after(() => s.stop('SIGKILL'));
  assert.match(s.davUrl, /^https:\/\/127\.0\.0\.1:\d+\/dav\/$/);
  const ca = await readFile(cert);
  const status = (auth?: string) => new Promise<number>((resolve, reject) => {
    const rq = httpsRequest(`${s.davUrl}`, { method: 'PROPFIND', ca, headers: { Depth: '0', ...(auth ? { Authorization: auth } : {}) } }, (res) => { res.resume(); resolve(res.statusCode!); });
    rq.on('error', reject);
    rq.end();
  });
  assert.equal(await status(), 401);
  assert.equal(await status(basic('nas', 'wrong')), 401);
  assert.equal(await status(basic('nas', 'pw')), 207);
  assert.equal(await s.stop(), 0);
});
