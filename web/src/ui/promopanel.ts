// The organizer's promo codes for one show (README: Promo codes): the codes that apply to it
// (made for it, or for all the organizer's shows) with what they take off, where, when, their
// limits and how many bookings redeemed them; make one for the show (a percentage, or an
// amount in the show's currency; a validity window, limits and the hidden categories it
// unlocks, all optional); withdraw one.
import { request } from '../api';
import { graphql } from '../gql';
import type { PromoCodePartsFragment } from '../gql/graphql';
import { h } from './dom';
import { formatInstant, formatMoney, minorDigits, type Money } from './format';
import { Messages } from './status';

export const PROMO_CODE_PARTS = graphql(`
  fragment PromoCodeParts on PromoCode {
    id code kind percent amount { amount currency } showIds categories validFrom validUntil
    maxRedemptions maxPerCustomer redeemed unlocksCategories active
  }
`);

const PROMO_CODES = graphql(`
  query OrganizerPromoCodes($organizer: ID) {
    promoCodes(organizerId: $organizer) { ...PromoCodeParts }
  }
`);

const CREATE_PROMO_CODE = graphql(`
  mutation CreatePromoCode($input: CreatePromoCodeInput!, $key: String) {
    createPromoCode(input: $input, idempotencyKey: $key) { ...PromoCodeParts }
  }
`);

const DEACTIVATE_PROMO_CODE = graphql(`
  mutation DeactivatePromoCode($id: ID!) { deactivatePromoCode(id: $id) { ...PromoCodeParts } }
`);

/** A whole percentage from `lowest` (1; 0 for a code that only unlocks) to 100, or 'invalid'. */
export function parsePercent(text: string, lowest = 1): number | 'invalid' {
  const t = text.trim();
  if (!/^\d{1,3}$/.test(t)) return 'invalid';
  const n = Number(t);
  return n >= lowest && n <= 100 ? n : 'invalid';
}

/** An amount as people write it ("5", "5.50", "5,50") in integer minor units of `currency`
 * (no floating point: 12.5 EUR is 1250, 1.25 KWD is 1250, 1250 JPY is 1250); 'invalid' for
 * anything else, more decimals than the currency has, or zero. */
export function parseAmount(text: string, currency: string): number | 'invalid' {
  const t = text.trim().replace(',', '.');
  const digits = minorDigits(currency);
  const match = /^(\d{1,9})(?:\.(\d+))?$/.exec(t);
  if (!match) return 'invalid';
  const [, whole, fraction = ''] = match;
  if (fraction.length > digits) return 'invalid';
  const minor = Number(whole + fraction.padEnd(digits, '0'));
  return Number.isSafeInteger(minor) && minor >= 1 ? minor : 'invalid';
}

/** An optional limit: empty is none (null), else a whole number of at least one. */
export function parseLimit(text: string): number | null | 'invalid' {
  const t = text.trim();
  if (!t) return null;
  if (!/^\d{1,10}$/.test(t)) return 'invalid';
  const n = Number(t);
  return n >= 1 && n <= 1_000_000_000 ? n : 'invalid';
}

export type Discount = { kind: 'PERCENT'; percent: number } | { kind: 'AMOUNT'; amount: Money };

/** The discount the form asks for — a percentage or an amount, not both — or what is wrong,
 * in words. `unlocks`: the code unlocks hidden categories (then 0 percent is allowed). */
export function readDiscount(percentText: string, amountText: string, currency: string,
  unlocks = false): Discount | { error: string } {
  const hasPercent = percentText.trim() !== '';
  const hasAmount = amountText.trim() !== '';
  if (hasPercent && hasAmount) return { error: 'Give a percentage or an amount off, not both.' };
  if (hasPercent) {
    const percent = parsePercent(percentText, unlocks ? 0 : 1);
    return percent === 'invalid'
      ? { error: `Give the percentage as a whole number from ${unlocks ? 0 : 1} to 100.` }
      : { kind: 'PERCENT', percent };
  }
  if (hasAmount) {
    const amount = parseAmount(amountText, currency);
    const digits = minorDigits(currency);
    return amount === 'invalid'
      ? { error: `Give the amount in ${currency}${digits ? ` with at most ${digits} decimals` : ' as a whole number'}, more than zero.` }
      : { kind: 'AMOUNT', amount: { amount, currency } };
  }
  return { error: 'Give a percentage or an amount off.' };
}

/** What the code takes off: "20% off" or "€5.00 off". */
export function describeDiscount(code: Pick<PromoCodePartsFragment, 'kind' | 'percent' | 'amount'>, locale?: string): string {
  if (code.kind === 'AMOUNT' && code.amount) return `${formatMoney(code.amount, locale)} off`;
  return `${code.percent ?? 0}% off`;
}

/** One line describing a code: discount, scope, validity, limits, hidden categories. */
export function describeCode(code: PromoCodePartsFragment, locale?: string): string {
  const parts = [describeDiscount(code, locale)];
  parts.push(code.categories.length ? `on ${code.categories.join(', ')}` : 'on every category');
  if (!code.showIds.length) parts.push('all your shows');
  if (code.validFrom && code.validUntil) {
    parts.push(`from ${formatInstant(code.validFrom, locale)} until ${formatInstant(code.validUntil, locale)}`);
  } else if (code.validFrom) parts.push(`from ${formatInstant(code.validFrom, locale)}`);
  else if (code.validUntil) parts.push(`until ${formatInstant(code.validUntil, locale)}`);
  parts.push(code.maxRedemptions === null || code.maxRedemptions === undefined
    ? `${code.redeemed} redeemed`
    : `${code.redeemed} of ${code.maxRedemptions} redeemed`);
  if (code.maxPerCustomer) parts.push(`${code.maxPerCustomer} per customer`);
  if (code.unlocksCategories.length) parts.push(`unlocks ${code.unlocksCategories.join(', ')}`);
  if (!code.active) parts.push('withdrawn');
  return parts.join(' · ');
}

/** Whether a code of the organizer applies to this show. */
export function appliesTo(code: Pick<PromoCodePartsFragment, 'showIds'>, showId: string): boolean {
  return !code.showIds.length || code.showIds.includes(showId);
}

export interface PromoPanelShow {
  id: string;
  currency: string;
  /** The organizer's id (an admin lists that organizer's codes; null: the caller's own). */
  organizerId: string | null;
  priceTiers: { category: string; hidden: boolean }[];
}

export interface PromoPanel {
  element: HTMLElement;
  stop(): void;
}

/** The panel for `show`; it reads the codes at once (and again after each change). */
export function promoPanel(show: PromoPanelShow): PromoPanel {
  const messages = new Messages();
  const list = h('div', { 'data-testid': 'promo-list' }, 'Loading…');
  let stopped = false;

  const field = (name: string, attrs: Record<string, string> = {}) =>
    h('input', { type: 'text', name, autocomplete: 'off', ...attrs });
  const code = field('code', { required: 'required', size: '16', maxlength: '40' });
  const percent = field('percent', { inputmode: 'numeric', size: '4' });
  const amount = field('amount', { inputmode: 'decimal', size: '8' });
  const from = h('input', { type: 'datetime-local', name: 'validFrom' });
  const until = h('input', { type: 'datetime-local', name: 'validUntil' });
  const total = field('maxRedemptions', { inputmode: 'numeric', size: '6', placeholder: 'no limit' });
  const perCustomer = field('maxPerCustomer', { inputmode: 'numeric', size: '6', placeholder: 'no limit' });
  const box = (name: string, category: string) => {
    const input = h('input', { type: 'checkbox', name, value: category });
    return { input, label: h('label', {}, input, ` ${category}`) };
  };
  const shown = show.priceTiers.filter((t) => !t.hidden).map((t) => box('categories', t.category));
  const hidden = show.priceTiers.filter((t) => t.hidden).map((t) => box('unlocksCategories', t.category));
  const submit = h('button', { type: 'submit' }, 'Create promo code');
  const checked = (boxes: { input: HTMLInputElement }[]) => boxes.filter((b) => b.input.checked).map((b) => b.input.value);

  async function load(): Promise<void> {
    try {
      const codes = (await request(PROMO_CODES, { organizer: show.organizerId })).promoCodes
        .filter((c) => appliesTo(c, show.id));
      if (!stopped) render(codes);
    } catch (e) {
      messages.error(e);
    }
  }

  function render(codes: PromoCodePartsFragment[]): void {
    if (!codes.length) {
      list.replaceChildren(h('p', {}, 'No promo code applies to this show yet.'));
      return;
    }
    list.replaceChildren(h('ul', { class: 'promo-codes' }, ...codes.map((c) => h('li', {
      'data-code': c.code, 'data-active': String(c.active),
    },
    h('strong', {}, c.code), ' ',
    h('span', { class: 'promo-description' }, describeCode(c)), ' ',
    c.active ? h('button', {
      type: 'button',
      'aria-label': `Withdraw ${c.code}`,
      onclick: () => void (async () => {
        try {
          await request(DEACTIVATE_PROMO_CODE, { id: c.id });
          messages.say(`${c.code} is withdrawn: no new hold can use it.`);
          await load();
        } catch (e) {
          messages.error(e);
        }
      })(),
    }, 'Withdraw') : null))));
  }

  const form = h('form', {
    class: 'promo-create',
    onsubmit: (event: Event) => {
      event.preventDefault();
      const unlocks = checked(hidden);
      const discount = readDiscount(percent.value, amount.value, show.currency, unlocks.length > 0);
      if ('error' in discount) {
        messages.say(discount.error, 'error');
        return;
      }
      const maxRedemptions = parseLimit(total.value);
      const maxPerCustomer = parseLimit(perCustomer.value);
      if (maxRedemptions === 'invalid' || maxPerCustomer === 'invalid') {
        messages.say('Give each limit as a whole number of at least 1, or leave it empty for no limit.', 'error');
        return;
      }
      const when = (input: HTMLInputElement) => (input.value ? new Date(input.value).toISOString() : null);
      const input = {
        code: code.value.trim(), kind: discount.kind,
        percent: discount.kind === 'PERCENT' ? discount.percent : null,
        amount: discount.kind === 'AMOUNT' ? discount.amount : null,
        showIds: [show.id], categories: checked(shown), unlocksCategories: unlocks,
        validFrom: when(from), validUntil: when(until), maxRedemptions, maxPerCustomer,
      };
      submit.disabled = true; // one code per click
      void (async () => {
        try {
          const made = (await request(CREATE_PROMO_CODE, { input, key: crypto.randomUUID() })).createPromoCode;
          messages.say(`${made.code} is ready: ${describeDiscount(made)}.`);
          form.reset();
          await load();
        } catch (e) {
          messages.error(e);
        } finally {
          submit.disabled = false;
        }
      })();
    },
  },
  h('p', {}, h('label', {}, 'Code ', code), ' ',
    h('label', {}, 'Percent off ', percent), ' or ',
    h('label', {}, `Amount off (${show.currency}) `, amount)),
  shown.length > 1 ? h('fieldset', {}, h('legend', {}, 'Only on these categories (none: all)'), ...shown.map((b) => b.label)) : null,
  hidden.length ? h('fieldset', {}, h('legend', {}, 'Unlocks these hidden categories'), ...hidden.map((b) => b.label)) : null,
  h('p', {}, h('label', {}, 'Valid from ', from), ' ', h('label', {}, 'until ', until)),
  h('p', {}, h('label', {}, 'Bookings in all ', total), ' ', h('label', {}, 'Per customer ', perCustomer)),
  submit);

  const element = h('section', { class: 'promo-panel', 'aria-label': 'Promo codes' },
    h('h2', {}, 'Promo codes'), messages.element, list, form);
  void load();
  return {
    element,
    stop() {
      stopped = true;
    },
  };
}
