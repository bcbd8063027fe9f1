// #/bookings — my bookings, newest first; cancel one (after saying yes), and see the refund.
import { request } from '../api';
import { graphql } from '../gql';
import type { MyBookingsQuery } from '../gql/graphql';
import { route } from '../router';
import { h, heading, link } from '../ui/dom';
import { formatInstant, formatLocalTime, formatMoney } from '../ui/format';
import { announce, Messages } from '../ui/status';

const MY_BOOKINGS = graphql(`
  query MyBookings {
    me {
      id
      bookings {
        id status createdAt
        total { amount currency }
        lines { seatId label }
        generalAdmission { sectionId name quantity }
        show { id title localStartsAt venue { name timeZone } }
        payment { status refunded { amount currency } refunds { id status amount { amount currency } } }
      }
    }
  }
`);

const CANCEL = graphql(`
  mutation CancelBooking($id: ID!) { cancelBooking(bookingId: $id) { id status } }
`);

type Booking = NonNullable<MyBookingsQuery['me']>['bookings'][number];

const STATUS_WORDS: Record<string, string> = {
  PENDING_PAYMENT: 'awaiting payment',
  CONFIRMED: 'confirmed',
  EXPIRED: 'expired',
  CANCELLED: 'cancelled',
};

const PAID = ['SUCCEEDED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

/** A cancelled booking that was paid and is not refunded yet (payment refunds on its own). */
function refundUnderWay(b: Booking): boolean {
  return b.status === 'CANCELLED' && !!b.payment && b.payment.status !== 'REFUNDED' && PAID.includes(b.payment.status);
}

function refundWords(b: Booking): string | null {
  if (b.status !== 'CANCELLED') return null;
  const p = b.payment;
  if (!p || !PAID.includes(p.status)) return 'Nothing was charged, so there is nothing to refund.';
  if (p.status === 'REFUNDED') return `Refunded ${formatMoney(p.refunded)}.`;
  const last = p.refunds[p.refunds.length - 1];
  if (last?.status === 'FAILED') return 'The refund failed for now; it is tried again.';
  return `Refund of ${formatMoney(b.total)} under way.`;
}

route('/bookings', async (root) => {
  const messages = new Messages();
  const list = h('ul', { class: 'bookings', 'aria-label': 'My bookings' });
  root.append(heading('My bookings'), messages.element, list);
  let alive = true;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function load(): Promise<void> {
    let data: MyBookingsQuery;
    try {
      data = await request(MY_BOOKINGS);
    } catch (e) {
      if (alive) messages.error(e);
      return;
    }
    if (!alive) return;
    if (!data.me) {
      list.replaceChildren();
      root.append(h('p', {}, link('/signin?next=/bookings', 'Sign in'), ' to see your bookings.'));
      return;
    }
    list.replaceChildren(...data.me.bookings.map(item));
    if (!data.me.bookings.length) list.replaceChildren(h('li', {}, 'No bookings yet. ', link('/', 'Find a show')));
    // A refund is under way: look again shortly.
    clearTimeout(timer);
    if (data.me.bookings.some(refundUnderWay)) timer = setTimeout(() => void load(), 1000);
  }

  function item(b: Booking): HTMLLIElement {
    const what = [...b.lines.map((l) => l.label), ...b.generalAdmission.map((g) => `${g.quantity} × ${g.name}`)].join(', ');
    const itemMessages = new Messages();
    const li = h('li', { class: 'booking', 'data-booking-id': b.id },
      h('h2', {}, link(`/bookings/${encodeURIComponent(b.id)}`, b.show.title)),
      h('p', {}, formatLocalTime(b.show.localStartsAt, b.show.venue.timeZone), ` · ${b.show.venue.name}`),
      h('p', {}, `${what} · ${formatMoney(b.total)} · booked ${formatInstant(b.createdAt)}`),
      h('p', {}, 'Status: ', h('strong', { class: 'status' }, STATUS_WORDS[b.status] ?? b.status)),
    );
    const refund = refundWords(b);
    if (refund) li.append(h('p', { class: 'refund' }, refund));
    if (b.status === 'PENDING_PAYMENT') li.append(h('p', {}, link(`/bookings/${encodeURIComponent(b.id)}/pay`, 'Pay now')));
    if (b.status === 'PENDING_PAYMENT' || b.status === 'CONFIRMED') {
      const cancel = h('button', { type: 'button' }, 'Cancel booking');
      const confirmBox = h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm cancellation', hidden: true });
      const yes = h('button', { type: 'button', class: 'danger' }, 'Yes, cancel it');
      const no = h('button', { type: 'button' }, 'Keep it');
      confirmBox.append(h('p', {}, `Cancel ${b.show.title}${what ? ` (${what})` : ''}? ${b.status === 'CONFIRMED' ? 'What you paid is refunded.' : ''}`), yes, no);
      cancel.addEventListener('click', () => {
        confirmBox.hidden = false;
        cancel.hidden = true;
        no.focus();
      });
      no.addEventListener('click', () => {
        confirmBox.hidden = true;
        cancel.hidden = false;
        cancel.focus();
      });
      yes.addEventListener('click', async () => {
        yes.disabled = true;
        try {
          await request(CANCEL, { id: b.id });
          announce(`Booking for ${b.show.title} cancelled.`);
          await load();
          list.querySelector<HTMLElement>(`[data-booking-id="${CSS.escape(b.id)}"] h2 a`)?.focus();
        } catch (e) {
          itemMessages.error(e);
          yes.disabled = false;
        }
      });
      li.append(cancel, confirmBox, itemMessages.element);
    }
    return li;
  }

  await load();
  return () => {
    alive = false;
    clearTimeout(timer);
  };
});
