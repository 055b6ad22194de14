// App-wide guards, set once before any window exists: no navigation away from index.html, no new windows (https
// links go to the OS browser), no webviews, every permission denied, and the CSP on every response.
import { app, session, shell } from 'electron';
import { APP_CSP } from '../core/app/csp.ts';
import { externalUrl, navigationAllowed } from './nav-policy.ts';

export function installSecurityGuards(indexUrl: string): void {
  app.on('web-contents-created', (_e, contents) => {
    const stay = (e: { preventDefault(): void }, url: string) => { if (!navigationAllowed(url, indexUrl)) e.preventDefault(); };
    contents.on('will-navigate', (e) => stay(e, e.url));
    contents.on('will-redirect', (e) => stay(e, e.url));
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      const external = externalUrl(url);
      if (external) void shell.openExternal(external);
      return { action: 'deny' };
    });
  });
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.setDevicePermissionHandler(() => false);
  // file:// pages carry the same policy as a meta tag; this covers anything served with headers.
  s.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [APP_CSP] } });
  });
}
