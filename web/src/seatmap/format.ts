// Words and numbers the map shows and announces: prices from minor units, category names.

/** Digits after the decimal point of a currency (EUR 2, JPY 0, KWD 3), as Intl knows them. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** A price given in minor units (cents), e.g. formatPrice(2500, 'EUR', 'de-DE') === '25,00 €'. */
export function formatPrice(minor: number, currency: string, locale?: string): string {
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

/** PREMIUM → Premium, FIRST_CLASS → First class. */
export function categoryName(category: string): string {
  const words = category.toLowerCase().replace(/_+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
