// Transfers belong to the client that opened them: a transport wraps its dispatch with this and calls release() when
// that client goes (a closed tab, a reloaded window), so an abandoned upload stops holding its path in line at once
// instead of after the idle timeout.
import type { CallResult, MethodName } from '../contract/contract.ts';
import type { Dispatch } from './handlers.ts';

export interface OwnedDispatch {
  dispatch: Dispatch;
  /** Transfers this client has open now. */
  readonly open: ReadonlySet<string>;
  /** Cancels every transfer this client still has open (the old files stay as they were). */
  release(): void;
}

export function ownTransfers(inner: Dispatch): OwnedDispatch {
  const open = new Set<string>();
  const note = (name: unknown, args: unknown, r: CallResult<MethodName>) => {
    const id = Array.isArray(args) && typeof args[0] === 'string' ? args[0] : undefined;
    if (name === 'files.uploadBegin' && r.ok) open.add(r.value as string);
    else if (name === 'files.downloadBegin' && r.ok) open.add((r.value as { id: string }).id);
    else if (id === undefined) return;
    // Over: committed, cancelled, failed, or a download that returned its last (empty) chunk.
    else if (name === 'files.uploadCommit' || name === 'files.transferAbort') open.delete(id);
    else if ((name === 'files.uploadChunk' || name === 'files.downloadChunk') && !r.ok) open.delete(id);
    else if (name === 'files.downloadChunk' && r.ok && (r.value as Uint8Array).byteLength === 0) open.delete(id);
  };
  const dispatch = (async (name: unknown, args: unknown) => {
    const r = await inner(name, args);
    note(name, args, r);
    return r;
  }) as Dispatch;
  return {
    dispatch,
    open,
    release() {
      for (const id of [...open]) void inner('files.transferAbort', [id]);
      open.clear();
    },
  };
}
