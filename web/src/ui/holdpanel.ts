// The hold panel: what a hold holds (lines, discounts, total), a visible countdown to expiresAt
// (the live region speaks once at one minute left and at expiry), a promo code, and Extend,
// Release, Check out.
import { idempotencyKey, request } from '../api';
import { graphql } from '../gql';
import type { HoldPartsFragment } from '../gql/graphql';
import { navigate } from '../router';
import { formatRemaining, remainingMs } from '../countdown';
import { h } from './dom';
import { formatMoney } from './format';
import { Messages } from './status';

export const HOLD_PARTS = graphql(`
  fragment HoldParts on SeatHold {
    id status expiresAt seatIds
    segment { from to }
    generalAdmission { sectionId quantity }
    lines { seatId sectionId label quantity unitPrice { amount currency } price { amount currency }
            discount { amount currency } }
    promoCode
    discount { amount currency }
    total { amount currency }
  }
`);

const EXTEND = graphql(`
  mutation ExtendHold($id: ID!) {
    extendHold(holdId: $id) {
      __typename
      ... on SeatHold { ...HoldParts }
      ... on HoldExpired { code message holdId }
    }
  }
`);

const RELEASE = graphql(`
  mutation ReleaseHold($id: ID!) { releaseHold(holdId: $id) { ...HoldParts } }
`);

const CHECKOUT = graphql(`
  mutation Checkout($id: ID!, $key: String!) {
    checkout(holdId: $id, idempotencyKey: $key) {
      __typename
      ... on Booking { id status }
      ... on HoldExpired { code message holdId }
      ... on PromoCodeRejected { code message reason promoCode }
    }
  }
`);

const APPLY_CODE = graphql(`
  mutation ApplyPromoCode($id: ID!, $code: String!) {
    applyPromoCode(holdId: $id, code: $code) {
      __typename
      ... on SeatHold { ...HoldParts }
      ... on PromoCodeRejected { code message reason }
    }
  }
`);

const REMOVE_CODE = graphql(`
  mutation RemovePromoCode($id: ID!) { removePromoCode(holdId: $id) { ...HoldParts } }
`);

export type Hold = HoldPartsFragment;

export interface HoldPanel {
  element: HTMLElement;
  destroy(): void;
}

/** `onEnd` runs when the hold is no longer the person's to check out (released, lapsed). */
export function holdPanel(initial: Hold, onEnd: (why: 'released' | 'expired', words: string) => void): HoldPanel {
  let hold = initial;
  const messages = new Messages();
  const checkoutKey = idempotencyKey(); // a retried checkout of this hold is the same booking
  const clock = h('span', { class: 'countdown', 'data-testid': 'countdown' });
  const spoken = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const linesBody = h('tbody');
  const total = h('td', { 'data-testid': 'hold-total' });
  const extend = h('button', { type: 'button' }, 'Extend');
  const release = h('button', { type: 'button' }, 'Release');
  const checkout = h('button', { type: 'button', class: 'primary' }, 'Check out');
  const discountRow = h('tr', { hidden: '' });
  const codeInput = h('input', { id: 'promo-code', name: 'promo-code', autocomplete: 'off', size: '16' });
  const applyCode = h('button', { type: 'submit' }, 'Apply');
  const removeCode = h('button', { type: 'button', hidden: '' }, 'Remove code');
  const codeForm = h('form', { class: 'promo-code' },
    h('label', { for: 'promo-code' }, 'Promo code '), codeInput, ' ', applyCode, ' ', removeCode);
  const element = h('section', { class: 'hold-panel', 'aria-labelledby': 'hold-heading', 'data-hold-id': hold.id },
    h('h2', { id: 'hold-heading', tabindex: '-1' }, 'Your hold'),
    h('table', {},
      h('caption', { class: 'visually-hidden' }, 'What you hold'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Seat or place'), h('th', { scope: 'col' }, 'Quantity'),
        h('th', { scope: 'col' }, 'Price'))),
      linesBody,
      h('tfoot', {}, discountRow, h('tr', {}, h('th', { scope: 'row', colspan: '2' }, 'Total'), total))),
    codeForm,
    h('p', {}, 'Time left to check out: ', clock),
    spoken, messages.element,
    h('p', { class: 'actions' }, checkout, extend, release),
  );
  let warned = false;
  let ended = false;

  function draw(): void {
    element.dataset.holdId = hold.id;
    linesBody.replaceChildren(...hold.lines.map((line) =>
      h('tr', {}, h('td', {}, line.label), h('td', {}, line.quantity), h('td', {}, formatMoney(line.price)))));
    const discounted = hold.discount.amount > 0;
    discountRow.hidden = !discounted;
    discountRow.replaceChildren(
      h('th', { scope: 'row', colspan: '2' }, `Discount (${hold.promoCode ?? 'code'})`),
      h('td', { 'data-testid': 'hold-discount' }, `−${formatMoney(hold.discount)}`));
    codeInput.value = hold.promoCode ?? codeInput.value;
    codeInput.disabled = hold.promoCode != null;
    applyCode.hidden = hold.promoCode != null;
    removeCode.hidden = hold.promoCode == null;
    total.textContent = formatMoney(hold.total);
    tick();
  }

  function tick(): void {
    const now = Date.now();
    clock.textContent = formatRemaining(hold.expiresAt, now);
    const left = remainingMs(hold.expiresAt, now);
    if (left <= 60_000 && left > 0 && !warned) {
      warned = true;
      spoken.textContent = 'One minute left to check out your hold.';
    } else if (left > 60_000) warned = false;
    if (!(left > 0) && !ended) {
      end('expired', 'Your hold has expired: the seats are back on sale. Pick seats again.');
    }
  }

  function end(why: 'released' | 'expired', words: string): void {
    ended = true;
    clearInterval(timer);
    for (const b of [extend, release, checkout]) b.disabled = true;
    onEnd(why, words);
  }

  async function act(button: HTMLButtonElement, run: () => Promise<void>): Promise<void> {
    messages.clear();
    button.disabled = true;
    try {
      await run();
    } catch (e) {
      messages.error(e);
    } finally {
      if (!ended) button.disabled = false;
    }
  }

  extend.addEventListener('click', () => void act(extend, async () => {
    const data = await request(EXTEND, { id: hold.id });
    const result = data.extendHold;
    if (result.__typename === 'HoldExpired') {
      end('expired', `Your hold expired before it could be extended (${result.message}). Pick seats again.`);
      return;
    }
    hold = result;
    draw();
    messages.say(`Extended: ${formatRemaining(hold.expiresAt, Date.now())} left.`);
  }));

  release.addEventListener('click', () => void act(release, async () => {
    await request(RELEASE, { id: hold.id });
    end('released', 'Released: the seats are back on sale.');
  }));

  checkout.addEventListener('click', () => void act(checkout, async () => {
    const data = await request(CHECKOUT, { id: hold.id, key: checkoutKey });
    const result = data.checkout;
    if (result.__typename === 'HoldExpired') {
      end('expired', `Your hold expired before checkout (${result.message}). Pick seats again.`);
      return;
    }
    if (result.__typename === 'PromoCodeRejected') {
      messages.say(`The code ${result.promoCode ?? ''} can no longer be used: ${result.message} `
        + 'Remove it to check out at the full price.');
      return;
    }
    navigate(`/bookings/${encodeURIComponent(result.id)}/pay`);
  }));

  codeForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const code = codeInput.value.trim();
    if (!code) return;
    void act(applyCode, async () => {
      const result = (await request(APPLY_CODE, { id: hold.id, code })).applyPromoCode;
      if (result.__typename === 'PromoCodeRejected') {
        messages.say(`That code does not apply: ${result.message}`);
        return;
      }
      hold = result;
      draw();
      messages.say(`Code applied: ${formatMoney(hold.discount)} off.`);
    });
  });

  removeCode.addEventListener('click', () => void act(removeCode, async () => {
    hold = (await request(REMOVE_CODE, { id: hold.id })).removePromoCode;
    codeInput.value = '';
    draw();
    messages.say('Code removed.');
  }));

  const timer = setInterval(tick, 1000);
  draw();
  return {
    element,
    destroy: () => clearInterval(timer),
  };
}
