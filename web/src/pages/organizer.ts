// #/organizer — an organizer's shows (every status, per venue) with live sold / held / available
// counts per category; #/organizer/shows/:id — one show: the seat map coloured by state (look
// only), live counts per category and per standing section, what it sold (salesReport),
// check-in progress, the CSV exports, its waiting room (ui/queuepanel.ts) and its promo codes
// (ui/promopanel.ts).
import { currentSession, describeError, request } from '../api';
import { graphql } from '../gql';
import type { OrganizerShowsQuery } from '../gql/graphql';
import { route, type Leave } from '../router';
import { mountSeatMap, type CompactSeatMap } from '../seatmap';
import { watchCounts, type ShowCounts } from '../ui/counts';
import { h, heading, link, nodes } from '../ui/dom';
import { formatLocalTime, formatMoney } from '../ui/format';
import { promoPanel } from '../ui/promopanel';
import { queuePanel } from '../ui/queuepanel';
import { Messages } from '../ui/status';

const ORGANIZER_SHOWS = graphql(`
  query OrganizerShows {
    me {
      id role
      venues {
        id name timeZone
        shows(first: 50) {
          nodes { id title status localStartsAt }
          pageInfo { hasNextPage }
        }
      }
    }
  }
`);

const ORGANIZER_SHOW = graphql(`
  query OrganizerShow($id: ID!) {
    show(id: $id) {
      id title status localStartsAt
      currency
      venue { name timeZone ownerId }
      priceTiers { category hidden price { amount currency } }
      seatMap
      checkIn { admitted expected }
      salesReport {
        totals { sold held bookings gross { amount currency } discounts { amount currency }
                 refunded { amount currency } net { amount currency } }
      }
    }
  }
`);

type Venue = NonNullable<OrganizerShowsQuery['me']>['venues'][number];

const STATUS_WORDS: Record<string, string> = {
  DRAFT: 'draft', ON_SALE: 'on sale', CLOSED: 'closed', CANCELLED: 'cancelled',
};

function signInFirst(root: HTMLElement, next: string): void {
  root.append(heading('Organizer'), h('p', {}, link(`/signin?next=${encodeURIComponent(next)}`, 'Sign in'),
    ' as an organizer to see your shows.'));
}

/** Rows of a counts table: each category, then each standing section. */
function countRows(counts: ShowCounts): HTMLTableRowElement[] {
  const row = (name: string, c: { total: number; available: number; held: number; sold: number }) =>
    h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, c.sold), h('td', {}, c.held), h('td', {}, c.available),
      h('td', {}, c.total));
  return [
    ...counts.byCategory.map((c) => row(c.category, c)),
    ...counts.generalAdmission.map((s) => row(`${s.name} (standing)`, { ...s, total: s.capacity })),
  ];
}

function countsTable(caption: string): { table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h('tbody', {}, h('tr', {}, h('td', { colspan: '5' }, 'Connecting…')));
  const table = h('table', { class: 'counts' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...['Category', 'Sold', 'Held', 'Available', 'Total'].map((t) => h('th', { scope: 'col' }, t)))),
    body);
  return { table, body };
}

route('/organizer', async (root): Promise<Leave | void> => {
  if (!currentSession()) return signInFirst(root, '/organizer');
  const messages = new Messages();
  root.append(heading('Your shows'), messages.element);
  let data: OrganizerShowsQuery;
  try {
    data = await request(ORGANIZER_SHOWS);
  } catch (e) {
    messages.error(e);
    return;
  }
  const venues: Venue[] = data.me?.venues ?? [];
  if (!venues.length) {
    root.append(h('p', {}, 'You organize no venue yet: create one with the createVenue mutation (GraphiQL at /graphql).'));
    return;
  }
  const watches: { stop(): void }[] = [];
  for (const venue of venues) {
    const list = h('ul', { class: 'organizer-shows' });
    for (const show of venue.shows.nodes) {
      const live = h('span', { class: 'live-state' }, '');
      const { table, body } = countsTable(`Counts for ${show.title}`);
      list.append(h('li', { 'data-show-id': show.id },
        h('h3', {}, link(`/organizer/shows/${encodeURIComponent(show.id)}`, show.title)),
        h('p', {}, `${formatLocalTime(show.localStartsAt, venue.timeZone)} · ${STATUS_WORDS[show.status] ?? show.status} `, live),
        show.status === 'ON_SALE' ? table : null));
      if (show.status === 'ON_SALE') {
        watches.push(watchCounts(show.id, (counts) => body.replaceChildren(...countRows(counts)),
          (on) => { live.textContent = on ? '· live' : '· reconnecting…'; }));
      }
    }
    root.append(h('section', { 'aria-label': venue.name }, h('h2', {}, venue.name),
      venue.shows.nodes.length ? list : h('p', {}, 'No shows yet.'),
      venue.shows.pageInfo.hasNextPage ? h('p', {}, 'Only the first 50 shows are listed.') : null));
  }
  return () => watches.forEach((w) => w.stop());
});

/** Download an export with the session's token (a plain link would not send it). */
async function download(path: string, filename: string, messages: Messages): Promise<void> {
  const token = currentSession()?.accessToken;
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) {
    messages.say(describeError(response.status === 401 ? 'UNAUTHENTICATED' : response.status === 403 ? 'FORBIDDEN' : 'HTTP',
      `The export failed (HTTP ${response.status}).`), 'error');
    return;
  }
  const url = URL.createObjectURL(await response.blob());
  const a = h('a', { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

route('/organizer/shows/:id', async (root, { id }): Promise<Leave | void> => {
  if (!currentSession()) return signInFirst(root, `/organizer/shows/${id}`);
  const messages = new Messages();
  let show;
  try {
    show = (await request(ORGANIZER_SHOW, { id })).show;
  } catch (e) {
    root.append(heading('Show'), messages.element);
    messages.error(e);
    return;
  }
  if (!show) {
    root.append(heading('Show'), h('p', {}, 'No such show.'));
    return;
  }
  const { table, body } = countsTable('Sold, held and available, per category (live)');
  const live = h('p', { class: 'live-state', 'data-testid': 'counts-live' }, 'Connecting…');
  const report = show.salesReport?.totals;
  const exportButton = (kind: 'orders' | 'attendees') => h('button', {
    type: 'button',
    onclick: () => void download(`/exports/shows/${encodeURIComponent(show.id)}/${kind}.csv`, `${kind}-${show.id}.csv`, messages)
      .catch((e) => messages.error(e)),
  }, `Download ${kind} (CSV)`);
  const map = mountSeatMap({
    showId: show.id,
    seatMap: show.seatMap as CompactSeatMap,
    prices: show.priceTiers.map((t) => ({ category: t.category, price: t.price })),
    segment: null,
    selectable: false,
  });
  const queue = show.status === 'ON_SALE' ? queuePanel(show.id) : null;
  // An admin lists the show's organizer's codes; an organizer (or a venue's team) their own.
  const promos = promoPanel({
    id: show.id, currency: show.currency, priceTiers: show.priceTiers,
    organizerId: currentSession()?.user.role === 'ADMIN' ? show.venue.ownerId : null,
  });
  root.append(...nodes(
    heading(show.title),
    h('p', {}, `${formatLocalTime(show.localStartsAt, show.venue.timeZone)} · ${show.venue.name} · ${STATUS_WORDS[show.status] ?? show.status}`),
    messages.element,
    live, table,
    show.checkIn ? h('p', { 'data-testid': 'check-in' }, `Checked in: ${show.checkIn.admitted} of ${show.checkIn.expected} tickets.`) : null,
    report ? h('dl', { class: 'sales' },
      h('dt', {}, 'Bookings'), h('dd', {}, report.bookings),
      h('dt', {}, 'Gross'), h('dd', {}, formatMoney(report.gross)),
      h('dt', {}, 'Discounts'), h('dd', {}, formatMoney(report.discounts)),
      h('dt', {}, 'Refunded'), h('dd', {}, formatMoney(report.refunded)),
      h('dt', {}, 'Net'), h('dd', { 'data-testid': 'net' }, formatMoney(report.net))) : null,
    h('p', { class: 'actions' }, exportButton('orders'), ' ', exportButton('attendees')),
    queue?.element,
    promos.element,
    h('h2', {}, 'Seat map'),
    map.element,
  ));
  const watch = watchCounts(show.id, (counts) => {
    body.replaceChildren(...countRows(counts));
    live.textContent = `Live: ${counts.sold} sold, ${counts.held} held, ${counts.available} available of ${counts.total} seats.`;
  }, (on) => {
    if (!on) live.textContent = 'Reconnecting to live counts… (figures may be out of date)';
  });
  return () => {
    watch.stop();
    queue?.stop();
    promos.stop();
    map.destroy();
  };
});
