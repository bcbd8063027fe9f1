// Hash routes: #/ (shows), #/shows/<id>, #/checkout/<holdId>, #/bookings, #/bookings/<id>,
// #/signin, #/organizer. A page is a function that renders into the main element and returns
// what to do when the person leaves it (end subscriptions, stop timers).
export type Leave = () => void;
export type Page = (root: HTMLElement, params: Record<string, string>, query: URLSearchParams) => Leave | void | Promise<Leave | void>;

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
}

const routes: Route[] = [];

export function route(path: string, page: Page): void {
  const names: string[] = [];
  const pattern = new RegExp(
    '^' + path.replace(/:([a-zA-Z]+)/g, (_, name: string) => (names.push(name), '([^/]+)')) + '$',
  );
  routes.push({ pattern, names, page });
}

export function navigate(path: string): void {
  if (location.hash === '#' + path) void render();
  else location.hash = path;
}

let leave: Leave | void;
let root: HTMLElement;

export async function render(): Promise<void> {
  const [path, search = ''] = (location.hash.slice(1) || '/').split('?');
  if (leave) leave();
  leave = undefined;
  root.replaceChildren();
  for (const r of routes) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    leave = await r.page(root, params, new URLSearchParams(search));
    root.focus({ preventScroll: true });
    return;
  }
  root.textContent = 'Not found.';
}

export function start(main: HTMLElement): void {
  root = main;
  window.addEventListener('hashchange', () => void render());
  void render();
}
