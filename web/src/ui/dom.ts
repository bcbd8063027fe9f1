// A small element builder: h('button', { type: 'button', onclick }, 'Hold') — attributes
// become attributes (or properties for on* handlers and `value`), children strings or nodes.
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.replace(/^on/, ''), value as EventListener);
    else if (key === 'value') (el as HTMLInputElement).value = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'number' ? String(child) : child);
  }
  return el;
}

/** A page's main heading (each page has one, and the router focuses the page). */
export function heading(text: string): HTMLHeadingElement {
  return h('h1', {}, text);
}

/** A link to an app route (hash routes). */
export function link(path: string, text: string, attrs: Attrs = {}): HTMLAnchorElement {
  return h('a', { href: `#${path}`, ...attrs }, text);
}

/** The nodes among `items` (leaving out null, undefined and false), for append/replaceChildren. */
export function nodes(...items: Child[]): (Node | string)[] {
  return items.filter((i): i is Node | string | number => i !== null && i !== undefined && i !== false)
    .map((i) => (typeof i === 'number' ? String(i) : i));
}
