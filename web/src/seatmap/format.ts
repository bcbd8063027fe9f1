// Words and numbers the map shows and announces: prices from minor units (the app's one money
// formatter, ui/format.ts), category names.
import { formatMoney, minorDigits } from '../ui/format';

/** Digits after the decimal point of a currency (EUR 2, JPY 0, KWD 3), as Intl knows them. */
export const currencyDigits = minorDigits;

/** A price given in minor units (cents), e.g. formatPrice(2500, 'EUR', 'de-DE') === '25,00 €'. */
export function formatPrice(minor: number, currency: string, locale?: string): string {
  return formatMoney({ amount: minor, currency }, locale);
}

/** PREMIUM → Premium, FIRST_CLASS → First class. */
export function categoryName(category: string): string {
  const words = category.toLowerCase().replace(/_+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
