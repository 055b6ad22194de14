// Where the person is, in the address: one hash route per view and folder (#/files/photos/2024), so Back goes back
// within the app, a reload lands where it was, and a folder can be bookmarked. Hash routes work from file:// too.

export type Tab = 'dashboard' | 'files' | 'drives' | 'scrub' | 'conflicts' | 'sharing' | 'settings';
const TABS: readonly Tab[] = ['dashboard', 'files', 'drives', 'scrub', 'conflicts', 'sharing', 'settings'];

export interface Route { tab: Tab; /** The folder shown in Files ('' = all files). */ folder: string }

/** '#/files/photos/2024' → files, 'photos/2024'; anything unknown → the dashboard. */
export function parseRoute(hash: string): Route {
  const [head = '', ...rest] = hash.replace(/^#\/?/, '').split('/');
  const tab = (TABS as readonly string[]).includes(head) ? (head as Tab) : 'dashboard';
  let folder = '';
  if (tab === 'files') {
    try {
      folder = rest.filter(Boolean).map(decodeURIComponent).join('/');
    } catch {
      folder = ''; // a mangled address: all files
    }
  }
  return { tab, folder };
}

/** The hash for a route; each folder name is encoded, so names with '#', '%' or '?' survive. */
export function routeHash(r: Route): string {
  const folder = r.tab === 'files' && r.folder ? `/${r.folder.split('/').map(encodeURIComponent).join('/')}` : '';
  return `#/${r.tab}${folder}`;
}

/** The route, following the address (Back, Forward, a typed URL); going somewhere adds a history entry. */
export class Router {
  #route = $state<Route>({ tab: 'dashboard', folder: '' });
  /** The folder Files showed last: going back to Files goes back there. */
  #lastFolder = '';
  readonly #onHash = () => { this.#set(parseRoute(location.hash)); };

  constructor() {
    this.#set(parseRoute(location.hash));
    addEventListener('hashchange', this.#onHash);
  }

  get tab(): Tab { return this.#route.tab; }
  get folder(): string { return this.#route.folder; }

  go(to: Partial<Route>): void {
    const tab = to.tab ?? this.#route.tab;
    const next: Route = { tab, folder: tab === 'files' ? to.folder ?? this.#lastFolder : '' };
    const hash = routeHash(next);
    this.#set(next);
    if (location.hash !== hash) location.hash = hash;
  }

  #set(r: Route): void {
    this.#route = r;
    if (r.tab === 'files') this.#lastFolder = r.folder;
  }

  dispose(): void { removeEventListener('hashchange', this.#onHash); }
}
