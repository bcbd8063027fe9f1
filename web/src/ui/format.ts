// How people read money and times. Money stays integer minor units until it is shown: the
// number of minor digits is the currency's own (Intl's maximumFractionDigits for it), so
// 1250 EUR is 12.50 and 1250 JPY is 1,250; the division happens only for display.
export interface Money {
  amount: number;
  currency: string;
}

/** undefined: the browser's language (tests pass one). */
type Locale = string | undefined;

function moneyFormat(currency: string, locale?: Locale): Intl.NumberFormat {
  return new Intl.NumberFormat(locale, { style: 'currency', currency });
}

/** The currency's minor digits (EUR 2, JPY 0, KWD 3). */
export function minorDigits(currency: string): number {
  return moneyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "€12.50" for {amount: 1250, currency: "EUR"}; exact for any integer amount. */
export function formatMoney(money: Money, locale?: Locale): string {
  const digits = minorDigits(money.currency);
  const negative = money.amount < 0;
  const abs = String(Math.abs(money.amount)).padStart(digits + 1, '0');
  // A decimal string, not a float computation: Intl formats strings exactly.
  const decimal = digits ? `${abs.slice(0, -digits)}.${abs.slice(-digits)}` : abs;
  return moneyFormat(money.currency, locale).format((negative ? '-' + decimal : decimal) as unknown as number);
}

/** Sum of amounts in one currency (integers). */
export function sumMoney(items: Money[], currency: string): Money {
  return { amount: items.reduce((total, m) => total + m.amount, 0), currency };
}

/** A show's time as people at the venue read it, with the zone named. */
export function formatLocalTime(at: string, timeZone: string, locale?: Locale): string {
  const when = new Date(at);
  const text = new Intl.DateTimeFormat(locale, {
    weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', timeZone,
  }).format(when);
  return `${text} (${timeZone})`;
}

/** A moment in the person's own zone (bookings' creation times). */
export function formatInstant(at: string, locale?: Locale): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at));
}
