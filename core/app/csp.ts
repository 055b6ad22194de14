// The Content-Security-Policy of every page we serve, in one place: `serve` sends it as a header, Electron adds it
// to its session's responses, and the renderer build writes APP_CSP_META into index.html as a meta tag for file://.

/** The app page: our own scripts only; the WebSocket back to where the page came from (`serve`). */
export const APP_CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'none'",
].join('; ');

/** The same policy as a <meta> tag may carry it: frame-ancestors is for headers only (Chromium logs an error on a meta). */
export const APP_CSP_META = APP_CSP.split('; ').filter((d) => !d.startsWith('frame-ancestors')).join('; ');

/** The login page: no script at all; its one form posts back to us. */
export const LOGIN_CSP = [
  "default-src 'none'", "style-src 'unsafe-inline'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
].join('; ');

/** Headers that go with every response, whatever it is. */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}
