// Electron-free navigation rules: the window only ever shows our index.html; links to https sites open in the
// user's browser; everything else (http, file, javascript:, custom schemes) goes nowhere.

export function navigationAllowed(url: string, indexUrl: string): boolean {
  try {
    const to = new URL(url), index = new URL(indexUrl);
    return to.protocol === 'file:' && to.pathname === index.pathname && to.host === index.host;
  } catch {
    return false;
  }
}

/** The URL to hand to the OS browser, or null when it must not leave the app at all. */
export function externalUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.username === '' && u.password === '' ? u.href : null;
  } catch {
    return null;
  }
}
