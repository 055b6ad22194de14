import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWire, decodeWireFrame, encodeWire, encodeWireFrame } from './wire-codec.ts';

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

test('binary frames: bytes travel raw after a JSON header; messages without bytes stay text', () => {
  const a = new Uint8Array(70_000).map((_, i) => (i * 13) & 0xff);
  const msg = { id: 7, method: 'files.uploadChunk', args: ['id', a, { nested: new Uint8Array([1, 2]) }, new Uint8Array(0)] };
  const frame = encodeWireFrame(msg);
  assert.ok(frame instanceof Uint8Array);
  assert.ok(frame.byteLength < a.byteLength + 200, 'no base64 inflation');
  const back = decodeWireFrame(frame) as { id: number; args: [string, Uint8Array, { nested: Uint8Array }, Uint8Array] };
  assert.equal(back.id, 7);
  assert.deepEqual([...back.args[1]], [...a]);
  assert.deepEqual([...back.args[2].nested], [1, 2]);
  assert.equal(back.args[3].byteLength, 0);
  assert.equal(typeof encodeWireFrame({ id: 1, method: 'files.list', args: [''] }), 'string');
  assert.deepEqual(decodeWireFrame('{"id":1,"args":[{"$bytes":"aGk="}]}'), { id: 1, args: [new Uint8Array([104, 105])] });
});

test('malformed binary frames throw: short, header past the end, payload ranges past the end, bad UTF-8', () => {
  const good = encodeWireFrame({ args: [new Uint8Array(10)] }) as Uint8Array;
  const withHeaderLen = (n: number) => { const f = Uint8Array.from(good); new DataView(f.buffer).setUint32(0, n, true); return f; };
  assert.throws(() => decodeWireFrame(new Uint8Array(3)));
  assert.throws(() => decodeWireFrame(withHeaderLen(good.byteLength)));
  assert.throws(() => decodeWireFrame(withHeaderLen(2 ** 31)));
  assert.throws(() => decodeWireFrame(good.subarray(0, good.byteLength - 1)), /payload out of range/);
  const head = new TextEncoder().encode('{"a":"\xff');
  const bad = new Uint8Array(4 + head.byteLength + 2);
  new DataView(bad.buffer).setUint32(0, head.byteLength + 2, true);
  bad.set(head, 4); bad.set([0xc3, 0x28], 4 + head.byteLength);
  assert.throws(() => decodeWireFrame(bad));
});
