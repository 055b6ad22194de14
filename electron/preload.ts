// Sandboxed preload: exposes the Bridge (call, onEvent, pickFolder) as window.nasMirror, never ipcRenderer itself.
import { contextBridge, ipcRenderer } from 'electron';
import type { Bridge } from '../core/contract/bridge.ts';
import type { CallResult, EventEnvelope, MethodArgs, MethodName } from '../core/contract/contract.ts';
import { CHANNELS } from './channels.ts';

const bridge = {
  call: <K extends MethodName>(name: K, ...args: MethodArgs<K>) => ipcRenderer.invoke(CHANNELS.call, name, args) as Promise<CallResult<K>>,
  onEvent(listener: (e: EventEnvelope) => void) {
    const relay = (_e: unknown, envelope: EventEnvelope) => listener(envelope);
    ipcRenderer.on(CHANNELS.event, relay);
    return () => { ipcRenderer.removeListener(CHANNELS.event, relay); };
  },
  pickFolder: () => ipcRenderer.invoke(CHANNELS.pickFolder) as Promise<string | null>,
} satisfies Bridge;

contextBridge.exposeInMainWorld('nasMirror', bridge);
