// ownTransfers: which transfers a client still has open, and release() cancels exactly those.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CallResult, MethodName } from '../contract/contract.ts';
import type { Dispatch } from './handlers.ts';
import { ownTransfers } from './owned-transfers.ts';

const ids = { up1: '00000000-0000-4000-8000-000000000001', up2: '00000000-0000-4000-8000-000000000002', down: '00000000-0000-4000-8000-000000000003' };

/** The core's side as a script: what each call answers, and every call it received. */
function core(answers: Record<string, (args: unknown[]) => CallResult<MethodName>>) {
  const calls: [string, unknown[]][] = [];
  const dispatch = (async (name: string, args: unknown[]) => {
    calls.push([name, args]);
    return answers[name]?.(args) ?? ({ ok: true, value: undefined } as CallResult<MethodName>);
  }) as unknown as Dispatch;
  return { dispatch, calls };
}

test('release() aborts the transfers still open, not the finished ones', async () => {
  const next = [ids.up1, ids.up2];
  const c = core({
    'files.uploadBegin': () => ({ ok: true, value: next.shift()! }),
    'files.downloadBegin': () => ({ ok: true, value: { id: ids.down, size: 3 } }),
    'files.downloadChunk': () => ({ ok: true, value: new Uint8Array(0) }),
  });
  const owned = ownTransfers(c.dispatch);
  await owned.dispatch('files.uploadBegin', ['a']);
  await owned.dispatch('files.uploadBegin', ['b']);
  await owned.dispatch('files.downloadBegin', ['c']);
  assert.deepEqual([...owned.open].sort(), [ids.up1, ids.up2, ids.down].sort());
  await owned.dispatch('files.uploadCommit', [ids.up1]);
  await owned.dispatch('files.downloadChunk', [ids.down]); // the empty chunk: that download is over
  assert.deepEqual([...owned.open], [ids.up2]);
  owned.release();
  assert.deepEqual(c.calls.filter(([n]) => n === 'files.transferAbort'), [['files.transferAbort', [ids.up2]]]);
  assert.equal(owned.open.size, 0);
});

test('a failed begin owns nothing; a failed chunk ends ownership; other calls pass through untouched', async () => {
  const c = core({
    'files.uploadBegin': () => ({ ok: false, error: { code: 'EISDIR', message: 'folder' } }),
    'files.downloadBegin': () => ({ ok: true, value: { id: ids.down, size: 3 } }),
    'files.downloadChunk': () => ({ ok: false, error: { code: 'ECHECKSUM', message: 'bad copy' } }),
    'files.list': () => ({ ok: true, value: [] }),
  });
  const owned = ownTransfers(c.dispatch);
  assert.deepEqual(await owned.dispatch('files.uploadBegin', ['Photos']), { ok: false, error: { code: 'EISDIR', message: 'folder' } });
  await owned.dispatch('files.downloadBegin', ['x']);
  await owned.dispatch('files.downloadChunk', [ids.down]);
  assert.deepEqual(await owned.dispatch('files.list', ['']), { ok: true, value: [] });
  assert.equal(owned.open.size, 0);
  owned.release();
  assert.equal(c.calls.filter(([n]) => n === 'files.transferAbort').length, 0);
});
