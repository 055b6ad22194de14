// Electron main process: single instance, the core started here and stopped cleanly on quit ("flushing…" until every
// behind write has landed, like md stop), one secure window, IPC, tray and notifications.
import { app, BrowserWindow, dialog } from 'electron';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppCore } from '../core/app/app-core.ts';
import { coreDeps } from '../core/app/core-deps.ts';
import { createDispatch, createHandlers } from '../core/app/handlers.ts';
import { demoLayout, startDemo } from '../core/app/demo.ts';
import { secureWindowOptions } from './window-options.ts';
import { installSecurityGuards } from './security.ts';
import { registerIpc } from './ipc.ts';
import { createTray } from './tray.ts';
import { startNotifications } from './notifications.ts';

const demo = process.argv.includes('--demo');
const indexUrl = pathToFileURL(join(__dirname, '..', 'renderer', 'index.html')).href;
const log = (m: string) => console.error(m);

function createMainWindow(core: AppCore): BrowserWindow {
  const win = new BrowserWindow(secureWindowOptions(join(__dirname, 'preload.cjs')));
  const unregister = registerIpc(win, indexUrl, createDispatch(createHandlers(core)), core.events);
  win.on('closed', unregister);
  win.once('ready-to-show', () => win.show());
  // The page asks before leaving while a transfer runs (beforeunload); Electron shows no dialog of its own.
  win.webContents.on('will-prevent-unload', (e) => {
    const choice = dialog.showMessageBoxSync(win, { type: 'question', buttons: ['Leave', 'Stay'], defaultId: 1, cancelId: 1,
      message: 'Leave while a transfer is running?', detail: 'The upload or download under way stops; a file half uploaded is not kept.' });
    if (choice === 0) e.preventDefault(); // leave: the page's objection is overruled
  });
  void win.loadURL(indexUrl);
  return win;
}

async function run(): Promise<void> {
  await app.whenReady();
  installSecurityGuards(indexUrl);
  // The demo keeps its folder drives and config apart from the user's real ones.
  const configDir = demo ? join(app.getPath('userData'), 'demo') : app.getPath('userData');
  const layout = demo ? await demoLayout(configDir) : undefined;
  const core = await AppCore.start({
    deps: coreDeps(), configDir, native: true, demo, log,
    ejectMode: demo ? 'engine' : 'drive', extraDrives: layout?.drives,
  });
  if (layout) await startDemo(core, layout).catch((e: Error) => log(`The demo mirror could not start: ${e.message}`));

  let win: BrowserWindow | null = createMainWindow(core);
  win.on('closed', () => { win = null; });
  const show = () => {
    if (win === null) { win = createMainWindow(core); win.on('closed', () => { win = null; }); }
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  };
  app.on('second-instance', show);
  app.on('activate', show);
  const stopTray = createTray(join(__dirname, 'icon.png'), core, { show, quit: () => app.quit() });
  const stopNotifications = startNotifications(core);

  // Quit waits for the mirror to flush: the window and tray show "flushing…" (app-state events) meanwhile.
  let done = false;
  app.on('before-quit', (e) => {
    if (done) return;
    e.preventDefault();
    void core.shutdown()
      .catch((err: Error) => log(`The mirror did not stop cleanly: ${err.message}`))
      .finally(() => { done = true; stopNotifications(); stopTray(); app.exit(0); });
  });
  app.on('window-all-closed', () => app.quit());
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.enableSandbox();
  // Windows shows native notifications only for an app with an id (the installer's appId).
  if (process.platform === 'win32') app.setAppUserModelId('org.nasmirror.app');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());
  run().catch((e: Error) => {
    dialog.showErrorBox('NAS Mirror could not start', e.message);
    app.exit(1);
  });
}
