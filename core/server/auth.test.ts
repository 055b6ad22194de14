import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientKey, COOKIE_NAME, isLoopbackHost, judgeUpgrade, LoginLimiter, loopbackHosts, secretEquals, SessionStore } from './auth.ts';
import type { AccessPolicy } from './auth.ts';

/** A clock that moves only when the test says so. */
function manualClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance(ms: number) { now += ms; } };
}

const HOUR = 60 * 60_000;

test('loopback is 127/8, ::1 and localhost; everything else needs a password', () => {
  for (const h of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '192.168.1.5', 'nas.local', '127.0.0.1.evil.com']) assert.equal(isLoopbackHost(h), false, h);
});

test('a loopback server refuses foreign Host headers (DNS rebinding) and cross-site origins', () => {
  const p: AccessPolicy = { allowedHosts: loopbackHosts('127.0.0.1', 5178), token: null, sessions: new SessionStore() };
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: '127.0.0.1:5178', origin: 'http://127.0.0.1:5178' }), 'ok');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: 'localhost:5178', origin: 'http://localhost:5178' }), 'ok');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: '127.0.0.1:5178' }), 'ok', 'non-browser clients send no Origin');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: 'evil.example:5178', origin: 'http://evil.example:5178' }), 'bad-host');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: '127.0.0.1:5178', origin: 'http://evil.example' }), 'bad-origin');
  assert.equal(judgeUpgrade(p, { url: '/rpc', host: '127.0.0.1:5178', origin: 'null' }), 'bad-origin');
  assert.equal(judgeUpgrade(p, { url: '/rpc', origin: 'http://127.0.0.1:5178' }), 'bad-host');
});

test('off loopback the token (by query) or a live session (by cookie) is required; the token is no cookie', () => {
  const sessions = new SessionStore();
  const p: AccessPolicy = { allowedHosts: null, token: 'secret-token', sessions };
  const base = { host: 'nas.local:5178', origin: 'http://nas.local:5178' };
  const session = sessions.create();
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc' }), 'unauthenticated');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc?token=wrong' }), 'unauthenticated');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc', cookie: `${COOKIE_NAME}=secret-token` }), 'unauthenticated', 'the master token is not a session');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc', cookie: `${COOKIE_NAME}=${session.slice(0, -1)}X` }), 'unauthenticated');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc?token=secret-token' }), 'ok');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc', cookie: `a=b; ${COOKIE_NAME}=${session}` }), 'ok');
  assert.equal(judgeUpgrade(p, { ...base, url: '/rpc?token=secret-token', origin: 'http://evil.example' }), 'bad-origin');
  assert.equal(secretEquals(undefined, 'x'), false);
  assert.equal(secretEquals('', ''), true);
  assert.equal(secretEquals('secret-token', 'secret-token'), true);
  assert.equal(secretEquals('secret-toke', 'secret-token'), false, 'a prefix is no match (lengths differ, hashes do not)');
});

test('sessions: each sign-in gets its own token; sign-out ends only that one', () => {
  const sessions = new SessionStore();
  const a = sessions.create(), b = sessions.create();
  assert.notEqual(a, b);
  assert.ok(Buffer.from(a, 'base64url').length === 32, '32 random bytes');
  assert.ok(sessions.resolve(a) && sessions.resolve(b));
  assert.ok(sessions.end(a));
  assert.equal(sessions.resolve(a), null);
  assert.ok(sessions.resolve(b));
  assert.equal(sessions.end(a), null, 'a second sign-out finds nothing');
  assert.equal(sessions.resolve(undefined), null);
  assert.equal(sessions.resolve(''), null);
});

test('sessions end after 12 h idle, and after 7 days however busy', () => {
  const clock = manualClock();
  const sessions = new SessionStore({ clock: clock.now });
  const idle = sessions.create(), busy = sessions.create();
  const busyId = sessions.resolve(busy)!;
  clock.advance(11 * HOUR);
  assert.ok(sessions.resolve(busy));
  clock.advance(1 * HOUR);
  assert.equal(sessions.isLive(busyId), true);
  assert.equal(sessions.resolve(idle), null, '12 h without use');
  for (let h = 12; h < 7 * 24; h += 6) {
    assert.ok(sessions.touch(busyId), `hour ${h}`);
    clock.advance(6 * HOUR);
  }
  assert.equal(sessions.isLive(busyId), false, 'seven days after sign-in');
  assert.equal(sessions.touch(busyId), false);
  assert.equal(sessions.size, 0, 'expired sessions are dropped when met');
});

test('sessions are bounded: past the cap the least recently used is dropped, and idle ones go first', () => {
  const clock = manualClock();
  const sessions = new SessionStore({ clock: clock.now, maxSessions: 3 });
  const [a, b, c] = [sessions.create(), sessions.create(), sessions.create()];
  clock.advance(1000);
  assert.ok(sessions.resolve(a), 'a is used, so b is now the least recently used');
  const d = sessions.create();
  assert.equal(sessions.size, 3);
  assert.equal(sessions.resolve(b), null);
  assert.ok(sessions.resolve(a) && sessions.resolve(c) && sessions.resolve(d));
  clock.advance(13 * HOUR);
  sessions.create();
  assert.equal(sessions.size, 1, 'a sign-in sweeps the sessions that went idle');
});

test('limiter: three typos cost nothing; then each failure locks the client twice as long, up to 30 s', () => {
  const clock = manualClock();
  const limiter = new LoginLimiter({ clock: clock.now });
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(limiter.admit('10.0.0.5'), { ok: true });
    assert.deepEqual(limiter.failed('10.0.0.5'), { lockMs: 0, delayMs: 0 });
  }
  const locks: number[] = [];
  for (let i = 0; i < 9; i++) {
    assert.deepEqual(limiter.admit('10.0.0.5'), { ok: true });
    const { lockMs } = limiter.failed('10.0.0.5');
    locks.push(lockMs);
    assert.deepEqual(limiter.admit('10.0.0.5'), { ok: false, retryAfterMs: lockMs }, 'locked: not even checked');
    clock.advance(lockMs - 1);
    assert.equal(limiter.admit('10.0.0.5').ok, false);
    clock.advance(1);
  }
  assert.deepEqual(locks, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  assert.deepEqual(limiter.admit('10.0.0.6'), { ok: true }, 'another client is not affected');
});

test('limiter: a right password clears the client; a quiet quarter hour forgets it', () => {
  const clock = manualClock();
  const limiter = new LoginLimiter({ clock: clock.now });
  for (let i = 0; i < 3; i++) limiter.failed('10.0.0.5');
  limiter.succeeded('10.0.0.5');
  assert.equal(limiter.failed('10.0.0.5').lockMs, 0, 'free typos again after signing in');
  for (let i = 0; i < 3; i++) limiter.failed('10.0.0.7');
  clock.advance(15 * 60_000);
  assert.equal(limiter.failed('10.0.0.7').lockMs, 0, 'forgotten');
});

test('limiter: memory is bounded; the client whose last failure is oldest goes first', () => {
  const clock = manualClock();
  const limiter = new LoginLimiter({ clock: clock.now, maxClients: 100 });
  for (let i = 0; i < 4; i++) limiter.failed('attacker');
  for (let i = 0; i < 500; i++) { clock.advance(1); limiter.failed(`10.1.${i >> 8}.${i & 255}`); }
  assert.equal(limiter.clients, 100);
  clock.advance(15 * 60_000);
  limiter.failed('late');
  assert.equal(limiter.clients, 1, 'stale records are swept as new ones come');
});

test('limiter: many clients guessing together slow every failure, but never a right password', () => {
  const clock = manualClock();
  const limiter = new LoginLimiter({ clock: clock.now, globalFailuresPerMinute: 30 });
  // 30 addresses, one guess each within a second: still under the global rate, no client is slowed.
  for (let i = 0; i < 30; i++) assert.deepEqual(limiter.failed(`10.2.0.${i}`), { lockMs: 0, delayMs: 0 });
  // Past it, every failure is answered late and locks its client at once, free typos or not.
  const over = limiter.failed('10.2.1.1');
  assert.ok(over.delayMs >= 1000, `delayed ${over.delayMs} ms`);
  assert.equal(over.lockMs, 500);
  let last = over;
  for (let i = 0; i < 1000; i++) last = limiter.failed(`10.3.${i >> 8}.${i & 255}`);
  assert.equal(last.delayMs, 10_000, 'the delay grows with the excess, up to 10 s');
  // A user with no failures is admitted at once, whatever the pressure.
  assert.deepEqual(limiter.admit('192.168.1.20'), { ok: true });
  // The bucket drains: eleven minutes after the attack stops, a typo is free again.
  clock.advance(11 * 60_000);
  assert.deepEqual(limiter.failed('192.168.1.20'), { lockMs: 0, delayMs: 0 });
});

test('clients are counted by IPv4 address and by IPv6 /64', () => {
  assert.equal(clientKey('192.168.1.20'), '192.168.1.20');
  assert.equal(clientKey('::ffff:192.168.1.20'), '192.168.1.20');
  assert.equal(clientKey('2001:db8:0:1:aaaa::1'), '2001:db8:0:1::/64');
  assert.equal(clientKey('2001:0db8:0000:0001:bbbb:cccc:dddd:eeee'), '2001:db8:0:1::/64');
  assert.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(clientKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.equal(clientKey('::1'), '0:0:0:0::/64');
  assert.equal(clientKey(undefined), 'unknown');
});
