// #/ — shows on sale: filter by kind, dates and text; a page at a time ("More shows").
import { request } from '../api';
import { graphql } from '../gql';
import type { ShowKind, ShowsQuery } from '../gql/graphql';
import { route } from '../router';
import { h, heading } from '../ui/dom';
import { formatLocalTime, formatMoney } from '../ui/format';
import { Messages } from '../ui/status';

const SHOWS = graphql(`
  query Shows($filter: ShowFilter, $after: String) {
    shows(filter: $filter, first: 20, after: $after) {
      nodes { id title kind startsAt localStartsAt venue { name timeZone } price { amount currency } }
      pageInfo { hasNextPage endCursor }
    }
  }
`);

const KINDS: [ShowKind | '', string][] = [
  ['', 'Any kind'], ['MOVIE', 'Movies'], ['CONCERT', 'Concerts'], ['TRAIN', 'Trains'],
  ['FLIGHT', 'Flights'], ['OTHER', 'Other'],
];

type Show = ShowsQuery['shows']['nodes'][number];

/** A day picked in a date input (the person's own zone) as an instant. */
function dayStart(value: string, endOfDay = false): string | null {
  if (!value) return null;
  const [y, m, d] = value.split('-').map(Number);
  const at = endOfDay ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d);
  return at.toISOString();
}

function showItem(show: Show): HTMLLIElement {
  return h('li', { class: 'show-card' },
    h('h2', {}, h('a', { href: `#/shows/${encodeURIComponent(show.id)}` }, show.title)),
    h('p', {}, h('time', { datetime: show.startsAt }, formatLocalTime(show.localStartsAt, show.venue.timeZone))),
    h('p', {}, show.venue.name),
    h('p', { class: 'from-price' }, `from ${formatMoney(show.price)}`),
  );
}

route('/', (root, _params, query) => {
  const messages = new Messages();
  const kind = h('select', { id: 'f-kind', name: 'kind' },
    KINDS.map(([value, text]) => h('option', { value }, text)));
  kind.value = query.get('kind') ?? '';
  const from = h('input', { id: 'f-from', type: 'date', name: 'from', value: query.get('from') ?? '' });
  const to = h('input', { id: 'f-to', type: 'date', name: 'to', value: query.get('to') ?? '' });
  const text = h('input', { id: 'f-text', type: 'search', name: 'text', value: query.get('text') ?? '' });
  const list = h('ul', { class: 'shows', 'aria-label': 'Shows' });
  const more = h('button', { type: 'button', hidden: true }, 'More shows');
  const summary = h('p', { 'aria-live': 'polite' });
  let cursor: string | null = null;
  let alive = true;

  const filter = () => ({
    kind: (kind.value || null) as ShowKind | null,
    from: dayStart(from.value),
    to: dayStart(to.value, true),
    text: text.value.trim() || null,
  });

  async function load(reset: boolean): Promise<void> {
    messages.clear();
    more.disabled = true;
    try {
      const data = await request(SHOWS, { filter: filter(), after: reset ? null : cursor });
      if (!alive) return;
      if (reset) list.replaceChildren();
      list.append(...data.shows.nodes.map(showItem));
      cursor = data.shows.pageInfo.endCursor ?? null;
      more.hidden = !data.shows.pageInfo.hasNextPage;
      const count = list.children.length;
      summary.textContent = count ? `${count} show${count === 1 ? '' : 's'} shown.` : 'No shows match.';
    } catch (e) {
      if (alive) messages.error(e);
    } finally {
      more.disabled = false;
    }
  }

  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter shows' },
    h('label', { for: 'f-kind' }, 'Kind'), kind,
    h('label', { for: 'f-from' }, 'From'), from,
    h('label', { for: 'f-to' }, 'To'), to,
    h('label', { for: 'f-text' }, 'Title'), text,
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void load(true);
  });
  more.addEventListener('click', () => void load(false));
  root.append(heading('Shows'), form, messages.element, summary, list, more);
  void load(true);
  return () => {
    alive = false;
  };
});
