// The bridge every transport gives the renderer: Electron's preload exposes it as window.nasMirror; in `serve`
// the renderer builds the same shape over a WebSocket. The renderer never knows which one it has.
import type { CallResult, EventEnvelope, MethodArgs, MethodName } from './contract.ts';

export interface Bridge {
  call<K extends MethodName>(name: K, ...args: MethodArgs<K>): Promise<CallResult<K>>;
  /** Subscribes to pushed events; returns unsubscribe. */
  onEvent(listener: (e: EventEnvelope) => void): () => void;
  /** Native folder picker (Electron only); null where there is none or the user cancelled. */
  pickFolder?(): Promise<string | null>;
}
