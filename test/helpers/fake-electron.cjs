// A stand-in for the 'electron' module (no Electron binary exists here): loaded with `node --require` before
// dist/electron/main.cjs, it records what main does and plays one scenario — the renderer calls through IPC, a foreign
// frame is refused, then the user quits — printing one JSON report on exit. Used by electron/main-smoke.test.ts.
'use strict';
const Module = require('node:module');
const { EventEmitter } = require('node:events');


const report = { windows: [], sent: [], calls: {}, guards: [], tray: [], notifications: [], permissions: null, quitFlow: [] };
const handlers = new Map();

class WebContents extends EventEmitter {
  constructor(id) { super(); this.id = id; }
  send(channel, payload) { report.sent.push({ channel, type: payload.event.type, seq: payload.seq, state: payload.event.state }); }
  isDestroyed() { return false; }
  setWindowOpenHandler(fn) { this.openHandler = fn; }
}
const app = new EventEmitter();
Object.assign(app, {
  whenReady: () => Promise.resolve(),
  requestSingleInstanceLock: () => true,
  enableSandbox: () => { report.sandbox = true; },
  getPath: () => process.env.FAKE_USERDATA,
  quit: () => {
    const e = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    app.emit('before-quit', e);
    report.quitFlow.push(e.defaultPrevented ? 'prevented' : 'quit');
  },
  exit: (code) => { report.exitCode = code; process.stdout.write(JSON.stringify(report) + '\n'); process.exit(code); },
});
let nextId = 1;
class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.webContents = new WebContents(nextId++);
    report.windows.push({ webPreferences: options.webPreferences });
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url) { report.loadedUrl = url; setTimeout(() => { this.emit('ready-to-show'); void scenario(this, url); }, 10); return Promise.resolve(); }
  show() { report.shown = true; }
  isDestroyed() { return false; }
  isMinimized() { return false; }
  restore() {}
  focus() {}
}
const invoke = (channel, sender, frameUrl, ...args) =>
  handlers.get(channel)({ sender, senderFrame: frameUrl === null ? null : { url: frameUrl, parent: null } }, ...args);

async function scenario(win, url) {
  const wc = win.webContents;
  report.calls.snapshot = await invoke('nas-mirror:call', wc, url + '#/mirror', 'app.snapshot', []);
  report.calls.write = await invoke('nas-mirror:call', wc, url, 'files.write', ['smoke.txt', new Uint8Array([104, 105])]);
  report.calls.read = await invoke('nas-mirror:call', wc, url, 'files.read', ['smoke.txt']);
  report.calls.foreignFrame = await invoke('nas-mirror:call', wc, 'https://evil.example/', 'app.snapshot', []);
  report.calls.otherWindow = await invoke('nas-mirror:call', new WebContents(99), url, 'app.snapshot', []);
  report.calls.unknown = await invoke('nas-mirror:call', wc, url, 'child_process.exec', ['rm -rf /']);
  report.calls.pickForeign = await invoke('nas-mirror:pick-folder', new WebContents(98), url);
  const nav = { prevented: false, url: 'https://evil.example/', preventDefault() { this.prevented = true; } };
  wc.emit('will-navigate', nav);
  report.guards.push({ navigateAway: nav.prevented, windowOpen: wc.openHandler({ url: 'http://example.com' }).action });
  app.quit();
}

const fake = {
  app, BrowserWindow,
  ipcMain: { handle: (ch, fn) => handlers.set(ch, fn), removeHandler: (ch) => handlers.delete(ch) },
  dialog: { showOpenDialog: async () => ({ canceled: true, filePaths: [] }), showErrorBox: (t, m) => { report.error = `${t}: ${m}`; } },
  shell: { openExternal: async (u) => { report.external = u; } },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (fn) => fn(null, 'media', (ok) => { report.permissions = ok; }),
      setPermissionCheckHandler: (fn) => { report.permissionCheck = fn(); },
      setDevicePermissionHandler: () => {},
      webRequest: { onHeadersReceived: (fn) => fn({ responseHeaders: {} }, (r) => { report.csp = r.responseHeaders['Content-Security-Policy'][0]; }) },
    },
  },
  nativeImage: { createFromPath: () => ({ resize: () => ({}) }) },
  Tray: class { constructor() {} setToolTip(t) { report.tray.push(t); } setContextMenu() {} on() {} destroy() {} },
  Menu: { buildFromTemplate: (t) => t },
  Notification: class { static isSupported() { return true; } constructor(n) { report.notifications.push(n.title); } show() {} },
  contextBridge: { exposeInMainWorld: () => {} },
  ipcRenderer: {},
};

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'electron' ? 'fake-electron' : resolve.call(this, request, ...rest);
};
require.cache['fake-electron'] = { id: 'fake-electron', filename: 'fake-electron', loaded: true, exports: fake };
module.exports = fake;
