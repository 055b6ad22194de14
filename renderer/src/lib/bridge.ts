// Picks the bridge for this page: Electron's preload (window.nasMirror) if present, else a WebSocket to `serve`.
import type { Bridge } from '../../../core/contract/bridge.ts';
import { rpcUrlFromLocation, WsBridge, type LiveBridge } from './ws-bridge.ts';

declare global {
  interface Window { nasMirror?: Bridge }
}

export function isBridge(v: unknown): v is Bridge {
  return typeof v === 'object' && v !== null && typeof (v as Bridge).call === 'function' && typeof (v as Bridge).onEvent === 'function';
}

export function selectBridge(w: Window = window): LiveBridge {
  if (isBridge(w.nasMirror)) return w.nasMirror;
  return new WsBridge({ url: rpcUrlFromLocation(w.location) });
}
