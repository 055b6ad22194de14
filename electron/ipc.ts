// Main-process IPC: one handler for every contract call, one for the folder picker, and events pushed to the window.
// The sender is checked on every message; the method and arguments by the same dispatch `serve` uses.
import { dialog, ipcMain } from 'electron';
import type { BrowserWindow, IpcMainInvokeEvent } from 'electron';
import type { Dispatch } from '../core/app/handlers.ts';
import type { EventHub } from '../core/app/event-hub.ts';
import { ownTransfers } from '../core/app/owned-transfers.ts';
import { CHANNELS } from './channels.ts';
import { guardedCall, isTrustedSender } from './ipc-guard.ts';
import type { SenderFacts, TrustedRenderer } from './ipc-guard.ts';

function senderFacts(e: IpcMainInvokeEvent): SenderFacts {
  const frame = e.senderFrame;
  return { webContentsId: e.sender.id, frameUrl: frame?.url ?? null, isMainFrame: frame !== null && frame.parent === null };
}

/** Wires IPC for one window; returns a function that removes every handler and listener again. */
export function registerIpc(win: BrowserWindow, indexUrl: string, dispatch: Dispatch, events: EventHub): () => void {
  const trusted: TrustedRenderer = { webContentsId: win.webContents.id, indexUrl };
  // Transfers belong to the page: a reload or a crashed renderer cancels the ones it had open.
  const owned = ownTransfers(dispatch);
  const release = () => owned.release();
  win.webContents.on('did-start-loading', release);
  win.webContents.on('render-process-gone', release);
  ipcMain.handle(CHANNELS.call, (e, name: unknown, args: unknown) => guardedCall(owned.dispatch, senderFacts(e), trusted, name, args));
  ipcMain.handle(CHANNELS.pickFolder, async (e) => {
    if (!isTrustedSender(senderFacts(e), trusted)) return null;
    const picked = await dialog.showOpenDialog(win, { title: 'Choose a folder for this member', properties: ['openDirectory', 'createDirectory'] });
    return picked.canceled ? null : picked.filePaths[0] ?? null;
  });
  const unsubscribe = events.subscribe((envelope) => {
    if (!win.isDestroyed() && !win.webContents.isDestroyed()) win.webContents.send(CHANNELS.event, envelope);
  });
  return () => {
    unsubscribe();
    release();
    ipcMain.removeHandler(CHANNELS.call);
    ipcMain.removeHandler(CHANNELS.pickFolder);
  };
}
