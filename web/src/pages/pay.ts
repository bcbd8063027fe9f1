// #/bookings/:id/pay — pay a booking awaiting payment: the sandbox provider, a card number.
// A declined card says why and lets the person try another; a closed payment window (the
// hold lapsed, the booking was cancelled) says so and leads back to the show.
import { request } from '../api';
import { graphql } from '../gql';
import { navigate, route } from '../router';
import { h, heading, link } from '../ui/dom';
import { formatMoney } from '../ui/format';
import { Messages } from '../ui/status';

const BOOKING = graphql(`
  query PayBooking($id: ID!) {
    booking(id: $id) {
      id status
      total { amount currency }
      lines { seatId label price { amount currency } }
      generalAdmission { sectionId name quantity price { amount currency } }
      show { id title }
      payment { id status }
    }
  }
`);

const START = graphql(`
  mutation StartPayment($booking: ID!, $key: String) {
    startPayment(bookingId: $booking, provider: SANDBOX, idempotencyKey: $key) { id status }
  }
`);

const CONFIRM = graphql(`
  mutation ConfirmPayment($payment: ID!, $card: String!) {
    confirmPayment(paymentId: $payment, card: $card) {
      __typename
      ... on Payment { id status }
      ... on PaymentDeclined { code message reason }
      ... on PaymentWindowClosed { code message }
    }
  }
`);

const REASONS: Record<string, string> = {
  card_declined: 'the card was declined',
  insufficient_funds: 'the card has insufficient funds',
  expired_card: 'the card has expired',
  incorrect_cvc: 'the card’s security code is wrong',
};

function declineWords(reason: string | null | undefined, message: string): string {
  const why = (reason && REASONS[reason]) ?? message;
  return `Payment declined: ${why}${reason ? ` (${reason})` : ''}. Nothing was charged; try another card.`;
}

route('/bookings/:id/pay', async (root, { id }) => {
  const messages = new Messages();
  root.append(heading('Pay'), messages.element);
  let booking;
  try {
    booking = (await request(BOOKING, { id })).booking;
  } catch (e) {
    messages.error(e);
    return;
  }
  if (!booking) {
    messages.say('No such booking.', 'error');
    return;
  }
  const b = booking;
  const confirmation = `/bookings/${encodeURIComponent(b.id)}`;
  const summary = h('section', { 'aria-label': 'What you pay for' },
    h('p', {}, link(`/shows/${encodeURIComponent(b.show.id)}`, b.show.title)),
    h('ul', {},
      b.lines.map((l) => h('li', {}, `${l.label}: ${formatMoney(l.price)}`)),
      b.generalAdmission.map((g) => h('li', {}, `${g.quantity} × ${g.name}: ${formatMoney(g.price)}`))),
    h('p', { class: 'total' }, 'Total: ', h('strong', { 'data-testid': 'pay-total' }, formatMoney(b.total))));
  root.append(summary);
  if (b.status !== 'PENDING_PAYMENT') {
    messages.say(b.status === 'CONFIRMED' ? 'This booking is paid.' : `This booking is ${b.status.toLowerCase()}: it can’t be paid.`);
    root.append(h('p', {}, link(confirmation, 'See the booking')));
    return;
  }

  const card = h('input', {
    id: 'card-number', name: 'card', type: 'text', inputmode: 'numeric', autocomplete: 'cc-number',
    required: true, 'aria-describedby': 'card-hint',
  });
  const submit = h('button', { type: 'submit', class: 'primary' }, `Pay ${formatMoney(b.total)}`);
  const form = h('form', { 'aria-label': 'Card payment' },
    h('p', {}, h('label', { for: 'card-number' }, 'Card number'), card),
    h('p', { id: 'card-hint', class: 'hint' },
      'Sandbox test cards: 4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined; 4000 0000 0000 9995 has insufficient funds.'),
    submit);
  root.append(form);
  card.focus();

  let paymentId: string | null = b.payment?.id ?? null;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    messages.clear();
    submit.disabled = true;
    try {
      if (!paymentId) {
        // Safe to repeat: the same booking's payment whatever the key.
        const started = await request(START, { booking: b.id, key: `start-payment:${b.id}` });
        paymentId = started.startPayment.id;
      }
      const data = await request(CONFIRM, { payment: paymentId, card: card.value.trim() });
      const result = data.confirmPayment;
      if (result.__typename === 'PaymentDeclined') {
        messages.say(declineWords(result.reason, result.message), 'error');
        card.select();
        card.focus();
      } else if (result.__typename === 'PaymentWindowClosed') {
        messages.say(`This booking can no longer be paid: ${result.message} Nothing was charged.`, 'error');
        form.remove();
        root.append(h('p', {}, link(`/shows/${encodeURIComponent(b.show.id)}`, 'Back to the show to pick seats again')));
      } else {
        messages.say(result.status === 'SUCCEEDED' ? 'Paid. Thank you!' : 'Payment is being processed…');
        navigate(confirmation);
      }
    } catch (e) {
      messages.error(e);
      card.focus();
    } finally {
      submit.disabled = false;
    }
  });
});
