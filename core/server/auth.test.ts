import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COOKIE_NAME, isLoopbackHost, judgeUpgrade, loopbackHosts, secretEquals } from './auth.ts';
import type { AccessPolicy } from './auth.ts';

test('loopback is 127/8, ::1 and localhost; everything else needs a password', () => {
  for (const h of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.168.1.5', 'nas.local', '127.0.0.1.evil.com']) assert.equal(isLoopbackHost(h), false, h);
});

test('a loopback server refuses foreign Host headers (DNS rebinding) and cross-site origins', () => {
  const p: AccessPolicy = { allowedHosts: loopbackHosts('127.0.0.1', 5178), token: null };
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: '127.0.0.1:5178', origin: 'http://127.0.0.1:5178' }), 'ok');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: 'localhost:5178', origin: 'http://localhost:5178' }), 'ok');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: '127.0.0.1:5178' }), 'ok', 'non-browser clients send no Origin');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: 'evil.example:5178', origin: 'http://evil.example:5178' }), 'bad-host');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: '127.0.0.1:5178', origin: 'http://evil.example' }), 'bad-origin');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: '127.0.0.1:5178', origin: 'null' }), 'bad-origin');
  assert.equal(judgeUpgrade(p, { url: '/rpc', origin: 'http://127.0.0.1:5178' }), 'bad-host');
});

test('off loopback the token is required, by query or cookie', () => {
  const p: AccessPolicy = { allowedHosts: null, token: 'secret-token' };
  const base = { host: 'nas.local:5178', origin: 'http://nas.local:5178' };
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc' }), 'unauthenticated');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc?token=wrong' }), 'unauthenticated');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc', cookie: `${COOKIE_NAME}=secret-tokeX` }), 'unauthenticated');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc?token=secret-token' }), 'ok');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc', cookie: `a=b; ${COOKIE_NAME}=secret-token` }), 'ok');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc?token=secret-token', origin: 'http://evil.example' }), 'bad-origin');
  assert.equal(secretEquals(undefined, 'x'), false);
  assert.equal(secretEquals('', ''), true);
});
