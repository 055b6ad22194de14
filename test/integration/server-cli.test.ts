// `serve` as a process on a non-loopback bind: a one-time token or a password, and TLS when given a certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServe } from '../helpers/serve-process.ts';
import { connect } from '../helpers/ws-client.ts';
import { tempDir } from '../helpers/tmp.ts';

test('--host 0.0.0.0 without a password generates a token; no token, no connection', { timeout: 60_000 }, async (t) => {
  const config = await tempDir(t);
  const s = await startServe(['--host', '0.0.0.0', '--port', '0', '--config', config]);
  t.after(() => s.stop('SIGKILL'));
  const m = /^http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]{20,})$/.exec(s.url);
  assert.ok(m, s.url);
  const rpc = `ws://127.0.0.1:${m[1]}/rpc`;
  await assert.rejects(connect(rpc), { status: 401 });
  const c = await connect(`${rpc}?token=${m[2]}`);
  const snap = await c.call('app.snapshot');
  assert.ok(snap.ok);
  c.close();
  assert.equal(await s.stop('SIGTERM'), 0);
});

test('bad flags exit with usage, never serve', async () => {
  const s = startServe(['--port', 'eighty']);
  await assert.rejects(s, /--port must be a number/);
});

const exec = promisify(execFile);

/** A self-signed certificate for 127.0.0.1, made with openssl; null when openssl is missing. */
async function selfSigned(dir: string): Promise<{ cert: string; key: string } | null> {
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  const made = await exec('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']).then(() => true, () => false);
  return made ? { cert, key } : null;
}

function post(url: string, body: string, ca: Buffer): Promise<{ status: number; cookie: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { method: 'POST', ca, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: new URL(url).origin } }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, cookie: String(res.headers['set-cookie'] ?? '') });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('--tls-cert/--tls-key: https and wss with a Secure session cookie; plain HTTP gets nothing', { timeout: 60_000 }, async (t) => {
  const dir = await tempDir(t);
  const pem = await selfSigned(dir);
  if (!pem) return t.skip('needs openssl to make a test certificate: apt-get install -y openssl');
  const s = await startServe(['--host', '0.0.0.0', '--port', '0', '--config', join(dir, 'config'), '--password', 'open sesame', '--tls-cert', pem.cert, '--tls-key', pem.key]);
  t.after(() => s.stop('SIGKILL'));
  assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  assert.doesNotMatch(s.stderr(), /unencrypted/);
  const ca = await readFile(pem.cert);
  const login = await post(new URL('/login', s.url).href, 'password=open+sesame', ca);
  assert.equal(login.status, 303);
  assert.match(login.cookie, /HttpOnly/);
  assert.match(login.cookie, /; Secure/);
  const port = new URL(s.url).port;
  const c = await connect(`wss://127.0.0.1:${port}/rpc`, { ca, origin: `https://127.0.0.1:${port}`, headers: { Cookie: login.cookie.split(';')[0]! } });
  assert.ok((await c.call('app.snapshot')).ok);
  c.close();
  // The same port over plain HTTP: the TLS server answers with nothing a browser would run.
  const plain = await fetch(`http://127.0.0.1:${port}/`).then((r) => r.status, (e: Error) => e.message);
  assert.notEqual(plain, 200);
  assert.equal(await s.stop('SIGTERM'), 0);
});

test('a LAN bind without TLS warns that traffic is unencrypted; half a TLS pair or an unreadable file is refused', { timeout: 60_000 }, async (t) => {
  const config = await tempDir(t);
  const s = await startServe(['--host', '0.0.0.0', '--port', '0', '--config', config, '--password', 'pw']);
  t.after(() => s.stop('SIGKILL'));
  assert.equal(await s.stop('SIGTERM'), 0);
  assert.match(s.stderr(), /unencrypted/); // read after exit: stderr and the URL line on stdout are separate pipes
  await assert.rejects(startServe(['--tls-cert', join(config, 'cert.pem')]), /--tls-cert and --tls-key go together/);
  await assert.rejects(startServe(['--tls-cert', join(config, 'no.pem'), '--tls-key', join(config, 'no.key')]), /Cannot read the TLS certificate or key: .*no\.pem/);
});
