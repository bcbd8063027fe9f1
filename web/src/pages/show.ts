// #/shows/:id — a show: when and where, prices per category, the live seat map, live counts,
// and the ways to hold: picked seats, best available (of a category), standing places. On a
// journey the person picks from and to stops first; holds, the map and the counts follow.
import { ApiError, currentSession, idempotencyKey, request } from '../api';
import { graphql } from '../gql';
import type { ShowPageQuery } from '../gql/graphql';
import { navigate, route } from '../router';
import { queueHeaders } from '../queue';
import { mountSeatMap, type CompactSeatMap, type LiveStatus, type SeatMapHandle } from '../seatmap';
import { h, heading, link, nodes } from '../ui/dom';
import { formatLocalTime, formatMoney } from '../ui/format';
import { holdPanel, type Hold, type HoldPanel } from '../ui/holdpanel';
import { announce, Messages } from '../ui/status';

const SHOW = graphql(`
  query ShowPage($id: ID!) {
    show(id: $id) {
      id title kind status startsAt localStartsAt currency
      venue { name timeZone }
      priceTiers { category price { amount currency } }
      ticketTypes { key name eligibility default }
      stops { name departsAt }
      seatMap
    }
  }
`);

const AVAILABILITY = graphql(`
  query ShowAvailability($id: ID!, $segment: SegmentInput) {
    show(id: $id) {
      id
      availability(segment: $segment) {
        total available held sold
        byCategory { category total available held sold }
        generalAdmission { sectionId key name capacity available held sold }
      }
    }
  }
`);

const ACTIVE_HOLD = graphql(`
  query ActiveHold($id: ID!) { hold(id: $id) { ...HoldParts } }
`);

const HOLD_SEATS = graphql(`
  mutation HoldSeats($show: ID!, $seats: [ID!]!, $key: String, $segment: SegmentInput, $types: [SeatTicketTypeInput!]) {
    holdSeats(showId: $show, seatIds: $seats, idempotencyKey: $key, segment: $segment, ticketTypes: $types) {
      __typename
      ... on SeatHold { ...HoldParts }
      ... on SeatsUnavailable { code message seatIds }
      ... on PromoCodeRejected { code message }
    }
  }
`);

const HOLD_BEST = graphql(`
  mutation HoldBest($show: ID!, $quantity: Int!, $category: String, $key: String, $segment: SegmentInput) {
    holdBestAvailable(showId: $show, quantity: $quantity, category: $category, idempotencyKey: $key, segment: $segment) {
      __typename
      ... on SeatHold { ...HoldParts }
      ... on SoldOut { code message available }
      ... on PromoCodeRejected { code message }
    }
  }
`);

const HOLD_STANDING = graphql(`
  mutation HoldStanding($show: ID!, $section: ID!, $quantity: Int!, $key: String) {
    holdGeneralAdmission(showId: $show, sectionId: $section, quantity: $quantity, idempotencyKey: $key) {
      __typename
      ... on SeatHold { ...HoldParts }
      ... on SoldOut { code message available }
      ... on PromoCodeRejected { code message }
    }
  }
`);

type Show = NonNullable<ShowPageQuery['show']>;
type Segment = { from: number; to: number };

const MAX_PICK = 10;
/** Where this tab remembers the person's hold on a show (so coming back shows it again). */
const holdKey = (showId: string) => `ticketflow.hold.${currentSession()?.user.id ?? 'anonymous'}.${showId}`;

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

function listWords(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

route('/shows/:id', async (root, { id }) => {
  const messages = new Messages();
  let show: Show | null;
  try {
    show = (await request(SHOW, { id })).show ?? null;
  } catch (e) {
    root.append(heading('Show'), messages.element);
    messages.error(e);
    return;
  }
  if (!show) {
    root.append(heading('Show not found'), h('p', {}, link('/', 'Back to the shows')));
    return;
  }
  const s = show;
  const seatMap = s.seatMap as CompactSeatMap;
  const labelOf = new Map(seatMap.seats.id.map((seatId, i) => [seatId, seatMap.seats.label[i]]));
  const journey = s.stops.length > 1;
  let segment: Segment | null = journey ? { from: 0, to: s.stops.length - 1 } : null;
  let picked: string[] = [];
  // Ticket types (Adult, Child...) of a show that has them: the type chosen per picked seat.
  const defaultType = s.ticketTypes.find((t) => t.default)?.key ?? null;
  const typeOf = new Map<string, string>();
  let panel: HoldPanel | null = null;
  let alive = true;

  // --- what, when, where, prices
  const prices = h('ul', { class: 'prices', 'aria-label': 'Prices' },
    s.priceTiers.map((t) => h('li', {}, `${t.category}: ${formatMoney(t.price)}`)));
  const ticketTypes = s.ticketTypes.length === 0 ? null : h('ul', { class: 'ticket-types', 'aria-label': 'Ticket types' },
    s.ticketTypes.map((t) => h('li', {}, t.eligibility ? `${t.name} (${t.eligibility})` : t.name)));

  // --- live state and counts
  const live = h('span', { class: 'live', 'data-testid': 'live-status' }, 'connecting…');
  const counts = h('p', { class: 'counts', 'data-testid': 'counts' });
  const byCategory = h('ul', { class: 'by-category', 'aria-label': 'Availability per category' });
  const standing = h('div', { class: 'standing' });
  const availability = h('section', { class: 'availability', 'aria-label': 'Availability' },
    h('p', {}, 'Seat map: ', live), counts, byCategory);
  let lastVersion: number | null = null;
  let refetch: ReturnType<typeof setTimeout> | undefined;

  const seated = seatMap.seats.id.length > 0;
  function drawCounts(a: { total: number; available: number; held: number; sold: number }): void {
    counts.textContent = seated
      ? `${a.available} of ${a.total} seats available · ${a.held} held · ${a.sold} sold`
      : 'Standing only: no numbered seats.';
  }

  async function loadAvailability(): Promise<void> {
    try {
      const data = await request(AVAILABILITY, { id: s.id, segment });
      const a = data.show?.availability;
      if (!alive || !a) return;
      drawCounts(a);
      availability.dataset.loaded = 'true';
      byCategory.replaceChildren(...a.byCategory.map((c) =>
        h('li', {}, `${c.category}: ${c.available} of ${c.total} available`)));
      drawStanding(a.generalAdmission);
    } catch (e) {
      if (alive) messages.error(e);
    }
  }

  function onStatus(status: LiveStatus): void {
    live.textContent = status.state === 'live' ? 'live' : status.state === 'reconnecting' ? 'reconnecting…' : 'connecting…';
    live.dataset.state = status.state;
    // The feed's counts are the whole show's: with a segment (and for standing places and
    // categories) the graph answers, once per new version.
    if (status.availability && !segment) drawCounts(status.availability);
    if (status.version !== null && status.version !== lastVersion) {
      lastVersion = status.version;
      clearTimeout(refetch);
      refetch = setTimeout(() => void loadAvailability(), 250);
    }
  }

  // --- the map
  const map: SeatMapHandle = mountSeatMap({
    showId: s.id,
    seatMap,
    prices: s.priceTiers.map((t) => ({ category: t.category, price: t.price })),
    segment,
    selectable: true,
    maxSelection: MAX_PICK,
    onSelect: (ids) => {
      picked = ids;
      drawPicked();
    },
    onStatus,
  });

  // --- hold picked seats
  const pickedText = h('p', { 'data-testid': 'picked', 'aria-live': 'polite' });
  const holdPicked = h('button', { type: 'button', class: 'primary', disabled: true }, 'Hold 0 seats');
  const pickedTypes = h('div', { class: 'picked-types' });
  function drawTypes(): void {
    pickedTypes.replaceChildren();
    if (defaultType === null) return;
    for (const seatId of picked) {
      const id = `type-${seatId}`;
      const select = h('select', { id },
        s.ticketTypes.map((t) => h('option', { value: t.key }, t.name)));
      select.value = typeOf.get(seatId) ?? defaultType;
      select.addEventListener('change', () => typeOf.set(seatId, select.value));
      pickedTypes.append(h('div', {}, h('label', { for: id }, `Seat ${labelOf.get(seatId) ?? seatId}`), select));
    }
  }
  function drawPicked(): void {
    drawTypes();
    holdPicked.textContent = `Hold ${plural(picked.length, 'seat')}`;
    holdPicked.disabled = picked.length === 0;
    pickedText.textContent = picked.length
      ? `Picked: ${listWords(picked.map((p) => labelOf.get(p) ?? p))}`
      : 'Pick seats on the map.';
  }
  drawPicked();

  // --- best available
  const bestQuantity = h('input', { id: 'best-quantity', type: 'number', min: '1', max: String(MAX_PICK), value: '2' });
  const bestCategory = h('select', { id: 'best-category' },
    h('option', { value: '' }, 'Any category'),
    seatMap.categories.map((c) => h('option', { value: c }, c)));
  const bestButton = h('button', { type: 'button' }, 'Best available 2');
  bestQuantity.addEventListener('input', () => {
    bestButton.textContent = `Best available ${bestQuantity.value || ''}`.trim();
  });

  // --- journeys: from and to
  const segmentForm = journey ? segmentPicker() : null;
  function segmentPicker(): HTMLElement {
    const options = (from: boolean) => s.stops.map((stop, i) =>
      h('option', { value: String(i), disabled: from ? i === s.stops.length - 1 : i === 0 }, stop.name));
    const fromSelect = h('select', { id: 'seg-from' }, options(true));
    const toSelect = h('select', { id: 'seg-to' }, options(false));
    fromSelect.value = '0';
    toSelect.value = String(s.stops.length - 1);
    const note = h('p', { class: 'hint', 'aria-live': 'polite' });
    const change = () => {
      const from = Number(fromSelect.value);
      const to = Number(toSelect.value);
      if (from >= to) {
        note.textContent = 'Pick a destination after the departure stop.';
        return;
      }
      segment = { from, to };
      note.textContent = `Travelling ${s.stops[from].name} → ${s.stops[to].name}.`;
      map.setSegment(segment);
      map.clearSelection();
      void loadAvailability();
    };
    fromSelect.addEventListener('change', change);
    toSelect.addEventListener('change', change);
    return h('fieldset', { class: 'segment' },
      h('legend', {}, 'Your journey'),
      h('label', { for: 'seg-from' }, 'From'), fromSelect,
      h('label', { for: 'seg-to' }, 'To'), toSelect, note);
  }

  // --- the hold panel
  const holdArea = h('div', { class: 'hold-area' });
  function showHold(hold: Hold): void {
    panel?.destroy();
    sessionStorage.setItem(holdKey(s.id), hold.id);
    map.markOwn(hold.seatIds);
    map.clearSelection();
    panel = holdPanel(hold, (why, words) => {
      sessionStorage.removeItem(holdKey(s.id));
      map.markOwn([]);
      panel?.destroy();
      panel = null;
      holdArea.replaceChildren();
      if (why === 'expired') messages.say(words, 'error');
      else messages.say(words);
      map.element.focus?.();
    });
    holdArea.replaceChildren(panel.element);
    panel.element.querySelector<HTMLElement>('h2')?.focus();
    void loadAvailability();
  }

  async function holdWith(button: HTMLButtonElement, run: () => Promise<Hold | string>): Promise<void> {
    messages.clear();
    if (!currentSession()) {
      messages.say('Please sign in to hold seats.', 'error');
      return;
    }
    button.disabled = true;
    try {
      const result = await run();
      if (typeof result === 'string') messages.say(result, 'error');
      else {
        showHold(result);
        announce(`Held: ${listWords(result.lines.map((l) => l.quantity > 1 ? `${l.quantity} × ${l.label}` : l.label))}.`);
      }
    } catch (e) {
      messages.error(e);
      // A show behind a waiting room: queue first (the queue page comes back here with a pass).
      // Not with a spent pass (USED): the queue would hand the same pass back at once, and
      // send the person here again.
      if (e instanceof ApiError && e.code === 'QUEUED' && e.extensions.reason !== 'USED') {
        navigate(`/queue/${encodeURIComponent(s.id)}`);
      }
    } finally {
      button.disabled = false;
      drawPicked();
    }
  }

  holdPicked.addEventListener('click', () => void holdWith(holdPicked, async () => {
    const seats = [...picked];
    const types = defaultType === null ? null : seats
      .filter((seatId) => (typeOf.get(seatId) ?? defaultType) !== defaultType)
      .map((seatId) => ({ seatId, ticketType: typeOf.get(seatId) ?? defaultType }));
    const data = await request(HOLD_SEATS, { show: s.id, seats, key: idempotencyKey(), segment, types }, queueHeaders(s.id));
    const result = data.holdSeats;
    if (result.__typename === 'SeatHold') return result;
    if (result.__typename === 'PromoCodeRejected') return result.message;
    const taken = result.seatIds.map((seatId) => labelOf.get(seatId) ?? seatId);
    map.clearSelection();
    return taken.length === 1
      ? `Seat ${taken[0]} was just taken by someone else. Pick another seat.`
      : `Seats ${listWords(taken)} were just taken by someone else. Pick other seats.`;
  }));

  bestButton.addEventListener('click', () => void holdWith(bestButton, async () => {
    const quantity = Number(bestQuantity.value);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_PICK) {
      return `Ask for 1 to ${MAX_PICK} seats.`;
    }
    const data = await request(HOLD_BEST, {
      show: s.id, quantity, category: bestCategory.value || null, key: idempotencyKey(), segment,
    }, queueHeaders(s.id));
    const result = data.holdBestAvailable;
    if (result.__typename === 'SeatHold') return result;
    if (result.__typename === 'PromoCodeRejected') return result.message;
    return result.available === 0
      ? 'Sold out: no seats like that are left.'
      : `Not enough seats together: only ${plural(result.available, 'seat')} like that ${result.available === 1 ? 'is' : 'are'} left.`;
  }));

  function drawStanding(sections: { sectionId: string; name: string; capacity: number; available: number }[]): void {
    if (!sections.length) {
      standing.replaceChildren();
      return;
    }
    const existing = new Map([...standing.querySelectorAll<HTMLElement>('[data-section-id]')].map((el) => [el.dataset.sectionId!, el]));
    const blocks = sections.map((section) => {
      let block = existing.get(section.sectionId);
      if (!block) block = standingBlock(section.sectionId, section.name);
      block.querySelector('.left')!.textContent = `${section.available} of ${section.capacity} places left`;
      return block;
    });
    standing.replaceChildren(h('h2', {}, 'Standing'), ...blocks);
  }

  function standingBlock(sectionId: string, name: string): HTMLElement {
    const inputId = `standing-${sectionId}`;
    const quantity = h('input', { id: inputId, type: 'number', min: '1', max: '20', value: '2' });
    const button = h('button', { type: 'button' }, '2 standing places');
    quantity.addEventListener('input', () => {
      button.textContent = `${quantity.value} standing places`;
    });
    button.addEventListener('click', () => void holdWith(button, async () => {
      const n = Number(quantity.value);
      if (!Number.isInteger(n) || n < 1) return 'Ask for at least one place.';
      const data = await request(HOLD_STANDING, { show: s.id, section: sectionId, quantity: n, key: idempotencyKey() },
        queueHeaders(s.id));
      const result = data.holdGeneralAdmission;
      if (result.__typename === 'SeatHold') return result;
      if (result.__typename === 'PromoCodeRejected') return result.message;
      return result.available === 0
        ? `${name} is sold out.`
        : `Only ${plural(result.available, 'place')} left in ${name}.`;
    }));
    return h('div', { class: 'standing-section', 'data-section-id': sectionId },
      h('h3', {}, name), h('p', { class: 'left' }),
      h('label', { for: inputId }, `Places in ${name}`), quantity, button);
  }

  // --- the page
  root.append(...nodes(
    heading(s.title),
    h('p', {}, h('time', { datetime: s.startsAt }, formatLocalTime(s.localStartsAt, s.venue.timeZone)), ` · ${s.venue.name}`),
    s.status !== 'ON_SALE' ? h('p', { class: 'error' }, `This show is ${s.status.toLowerCase().replace('_', ' ')}.`) : null,
    h('h2', {}, 'Prices'), prices, ticketTypes,
    segmentForm,
    availability,
    currentSession() ? null : h('p', {}, link(`/signin?next=${encodeURIComponent(`/shows/${s.id}`)}`, 'Sign in'), ' to hold seats.'),
    h('div', { class: 'show-layout' },
      h('div', { class: 'map-area' }, map.element),
      h('div', { class: 'side' },
        messages.element,
        !seated ? null : h('section', { 'aria-label': 'Hold seats' }, pickedText, pickedTypes, holdPicked,
          h('div', { class: 'best' },
            h('label', { for: 'best-quantity' }, 'How many seats'), bestQuantity,
            h('label', { for: 'best-category' }, 'Category'), bestCategory, bestButton)),
        standing,
        holdArea)),
  ));
  void loadAvailability();

  // A hold made earlier on this show (the person came back to the page) is shown again.
  const earlier = sessionStorage.getItem(holdKey(s.id));
  if (earlier && currentSession()) {
    request(ACTIVE_HOLD, { id: earlier }).then((data) => {
      const hold = data.hold;
      if (alive && hold && hold.status === 'ACTIVE' && Date.parse(hold.expiresAt) > Date.now()) showHold(hold);
      else sessionStorage.removeItem(holdKey(s.id));
    }, (e: unknown) => {
      if (!(e instanceof ApiError) || e.code !== 'NOT_FOUND') messages.error(e);
      sessionStorage.removeItem(holdKey(s.id));
    });
  }

  return () => {
    alive = false;
    clearTimeout(refetch);
    panel?.destroy();
    map.destroy();
  };
});
