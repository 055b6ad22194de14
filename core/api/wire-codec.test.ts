import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWire, encodeWire } from './wire-codec.ts';

test('bytes survive the wire, including Node Buffers and empty arrays', () => {
  const bytes = new Uint8Array(70_000).map((_, i) => (i * 7) & 0xff);
  const msg = { id: 1, args: ['a.bin', bytes, Buffer.from('hi'), new Uint8Array(0)] };
  const back = decodeWire(encodeWire(msg)) as { args: unknown[] };
  assert.deepEqual(back.args[1], bytes);
  assert.deepEqual(back.args[2], new Uint8Array([104, 105]));
  assert.deepEqual(back.args[3], new Uint8Array(0));
  assert.equal(back.args[0], 'a.bin');
});

test('objects that only look like bytes stay objects; bad base64 throws', () => {
  assert.deepEqual(decodeWire('{"$bytes":"aGk=","x":1}'), { $bytes: 'aGk=', x: 1 });
  assert.throws(() => decodeWire('{"$bytes":"***"}'));
});
