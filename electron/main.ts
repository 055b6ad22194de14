// Electron main process: app lifecycle and the one secure window. (The IPC bridge and tray arrive with the app issue.)
import { app, BrowserWindow } from 'electron';
import { join } from 'node:path';
import { secureWindowOptions } from './window-options.ts';

function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow(secureWindowOptions(join(__dirname, 'preload.cjs')));
  void win.loadFile(join(__dirname, '..', 'renderer', 'index.html'));
  return win;
}

app.whenReady().then(createMainWindow);
app.on('window-all-closed', () => app.quit());
