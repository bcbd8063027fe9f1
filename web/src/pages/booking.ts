// #/bookings/:id — a booking: its status, lines and total, and once it is CONFIRMED one QR
// code per e-ticket. Payment confirms a booking through events and notification issues the
// tickets shortly after, so the page asks again every second until the tickets are there.
import { request } from '../api';
import { graphql } from '../gql';
import type { BookingPageQuery } from '../gql/graphql';
import { route } from '../router';
import { h, heading, link, nodes } from '../ui/dom';
import { formatLocalTime, formatMoney } from '../ui/format';
import { announce, Messages } from '../ui/status';
import { ticketCard, type TicketView } from '../ui/tickets';

const BOOKING = graphql(`
  query BookingPage($id: ID!) {
    booking(id: $id) {
      id status createdAt
      total { amount currency }
      segment { from to }
      lines { seatId label price { amount currency } }
      generalAdmission { sectionId name quantity price { amount currency } }
      show { id title localStartsAt venue { name timeZone } stops { name } }
      payment { status }
      tickets { id label token issuedAt }
    }
  }
`);

type Booking = NonNullable<BookingPageQuery['booking']>;

const STATUS_WORDS: Record<string, string> = {
  PENDING_PAYMENT: 'Awaiting payment',
  CONFIRMED: 'Confirmed',
  EXPIRED: 'Expired (not paid in time; nothing was charged)',
  CANCELLED: 'Cancelled',
};

/** The booking's e-tickets, once notification issued them (Booking.tickets). */
function ticketsOf(booking: Booking): TicketView[] {
  return booking.tickets;
}

route('/bookings/:id', async (root, { id }) => {
  const messages = new Messages();
  const status = h('p', { class: 'booking-status' }, 'Status: ', h('strong', { 'data-testid': 'booking-status' }, '…'));
  const details = h('div');
  const tickets = h('section', { 'aria-labelledby': 'tickets-heading', class: 'tickets' });
  const waiting = h('p', { 'aria-live': 'polite', class: 'hint' });
  root.append(heading('Your booking'), messages.element, status, details, tickets, waiting);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let alive = true;
  let lastStatus = '';
  let drawnTickets = false;

  function drawDetails(b: Booking): void {
    const journey = b.segment && b.show.stops.length
      ? h('p', {}, `${b.show.stops[b.segment.from]?.name} → ${b.show.stops[b.segment.to]?.name}`) : null;
    details.replaceChildren(...nodes(
      h('p', {}, link(`/shows/${encodeURIComponent(b.show.id)}`, b.show.title), ' · ',
        formatLocalTime(b.show.localStartsAt, b.show.venue.timeZone), ` · ${b.show.venue.name}`),
      journey,
      h('ul', { 'aria-label': 'Seats and places' },
        b.lines.map((l) => h('li', {}, `${l.label}: ${formatMoney(l.price)}`)),
        b.generalAdmission.map((g) => h('li', {}, `${g.quantity} × ${g.name}: ${formatMoney(g.price)}`))),
      h('p', {}, 'Total: ', h('strong', { 'data-testid': 'booking-total' }, formatMoney(b.total))),
      b.status === 'PENDING_PAYMENT' ? h('p', {}, link(`/bookings/${encodeURIComponent(b.id)}/pay`, 'Pay now')) : null,
    ));
  }

  async function poll(): Promise<void> {
    let b: Booking | null | undefined;
    try {
      b = (await request(BOOKING, { id })).booking;
    } catch (e) {
      if (!alive) return;
      messages.error(e);
      timer = setTimeout(() => void poll(), 1000);
      return;
    }
    if (!alive) return;
    if (!b) {
      messages.say('No such booking.', 'error');
      return;
    }
    messages.clear();
    const words = STATUS_WORDS[b.status] ?? b.status;
    status.querySelector('strong')!.textContent = words;
    status.dataset.status = b.status;
    if (b.status !== lastStatus) {
      if (lastStatus) announce(`Booking ${words.toLowerCase()}.`);
      lastStatus = b.status;
      drawDetails(b);
    }
    const issued = ticketsOf(b);
    if (b.status === 'CONFIRMED' && issued?.length && !drawnTickets) {
      drawnTickets = true;
      const cards = await Promise.all(issued.map(ticketCard));
      if (!alive) return;
      tickets.replaceChildren(h('h2', { id: 'tickets-heading' }, 'Your e-tickets'), h('div', { class: 'ticket-list' }, cards));
      waiting.textContent = `${issued.length} e-ticket${issued.length === 1 ? '' : 's'} ready.`;
      root.dataset.ticketsReady = 'true';
      return;
    }
    if (b.status === 'EXPIRED' || b.status === 'CANCELLED') {
      waiting.textContent = '';
      return;
    }
    waiting.textContent = b.status === 'CONFIRMED' ? 'Issuing your e-tickets…' : 'Waiting for the payment to go through…';
    timer = setTimeout(() => void poll(), 1000);
  }

  await poll();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
});
