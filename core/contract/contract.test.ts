import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCall } from './contract.ts';

test('validateCall refuses unknown methods and bad arguments, accepts good ones', () => {
  const unknown = validateCall('fs.rmrf', []);
  assert.equal(unknown.ok, false);
  assert.equal(!unknown.ok && unknown.error.code, 'EUNKNOWNMETHOD');
  const proto = validateCall('__proto__', []);
  assert.equal(!proto.ok && proto.error.code, 'EUNKNOWNMETHOD');
  const bad = validateCall('files.rename', ['a']);
  assert.equal(!bad.ok && bad.error.code, 'EBADARGS');
  const extra = validateCall('mirror.addMember', [{ path: '/x', evil: true }]);
  assert.equal(extra.ok, false);
  const good = validateCall('files.rename', ['a', 'b']);
  assert.deepEqual(good, { ok: true, name: 'files.rename', args: ['a', 'b'] });
});
