// Sandboxed preload: exposes a few typed verbs, never ipcRenderer itself. (Filled in by the app issue.)
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('nasMirror', { version: 1 });
