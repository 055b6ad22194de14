import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concatBytes } from './bytes.ts';

test('concatBytes joins in order, and hands back a plain Uint8Array (a Buffer would be toJSON()ed by the wire codec)', () => {
  const out = concatBytes([Uint8Array.of(1, 2), Buffer.from([3]), new Uint8Array(0), Uint8Array.of(4, 5)]);
  assert.deepEqual([...out], [1, 2, 3, 4, 5]);
  assert.equal(Buffer.isBuffer(out), false);
  assert.equal(typeof (out as unknown as { toJSON?: unknown }).toJSON, 'undefined');
  assert.deepEqual([...concatBytes([Uint8Array.of(7), Uint8Array.of(8)], 4)], [7, 8, 0, 0], 'room past the parts is zeros, never old memory');
});
