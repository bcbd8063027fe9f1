"""Money and time for people: ISO 4217 currencies, IANA time zones, and how both read.

Amounts are integer *minor units* everywhere in the API: ``amount / 10**digits`` of the
currency, where ``digits`` is the ISO 4217 minor-unit exponent (EUR 2, KWD 3, JPY 0). The
ISO list comes from the ``iso-4217`` package (the maintenance agency's list one, kept up
to date by release); a currency is accepted when it is current, has minor units (not XXX,
XAU, XTS...) and is not a fund code (not USN, CLF...). CLDR's own "digits" (Babel's
``get_currency_precision``) differ from ISO for a few currencies (IQD: CLDR 0, ISO 3), and
payment providers take ISO's, so ISO's are the ones amounts mean.

Babel formats what people read: amounts with the locale's grouping and decimal signs and
exactly the currency's digits (``12.345 KWD``, ``1,250 JPY``), times in the venue's zone
(``Tue 1 Jul 2031, 20:00 Europe/Berlin``). Zones are IANA names that ``zoneinfo`` knows
(the ``tzdata`` package supplies the database where the system has none).
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from typing import Final

from babel.dates import format_datetime
from babel.numbers import format_currency
from iso_4217 import Currency

from subgraphs.kernel.errors import BadUserInput

LOCALE: Final = "en"  # the mail templates are English
DEFAULT_ZONE: Final = "UTC"  # venues created before venues had a zone


@cache
def currencies() -> dict[str, int]:
    """Every currency a price may be in, with its ISO 4217 minor-unit exponent."""
    return {c.name: c.subunit_exp for c in Currency
            if c.entities and not c.is_fund and c.subunit_exp is not None}


def check_currency(code: str, field: str) -> str:
    """``code`` if it is a current ISO 4217 currency, else ``BAD_USER_INPUT`` on ``field``."""
    if code not in currencies():
        raise BadUserInput(f"{code!r} is not a current ISO 4217 currency code; use one "
                           "such as EUR, USD, JPY or KWD.", field=field)
    return code


def digits(currency: str) -> int:
    """The currency's minor-unit exponent (2 for a currency ISO 4217 does not know:
    amounts recorded before codes were checked)."""
    return currencies().get(currency, 2)


def major(amount: int, currency: str) -> Decimal:
    """Minor units as an exact amount of the currency: ``1250, KWD`` is ``1.250``."""
    return Decimal(amount).scaleb(-digits(currency))


def format_money(amount: int, currency: str, locale: str = LOCALE) -> str:
    """Minor units as people read them, with exactly the currency's digits and its code:
    ``12345, KWD`` is ``12.345 KWD``; ``1250, JPY`` is ``1,250 JPY``."""
    places = digits(currency)
    pattern = "#,##0" + ("." + "0" * places if places else "") + " ¤¤"
    return format_currency(major(amount, currency), currency, format=pattern, locale=locale,
                           currency_digits=False)


# Loadable, but not a place: the server's own zone, and tzdata's "zone unknown" placeholder.
NOT_PLACES: Final = frozenset({"localtime", "Factory"})


@cache
def time_zones() -> frozenset[str]:
    """Every IANA zone name ``zoneinfo`` can load, but those that name no place."""
    return frozenset(zoneinfo.available_timezones()) - NOT_PLACES


def check_time_zone(name: str | None, field: str) -> str:
    """``name`` if it is an IANA time zone, else ``BAD_USER_INPUT`` on ``field``."""
    if not name or not name.strip():
        raise BadUserInput("Give the venue's IANA time zone, e.g. Europe/Berlin.", field=field)
    if name.strip() not in time_zones():
        raise BadUserInput(f"{name!r} is not an IANA time zone; use one such as "
                           "Europe/Berlin, America/New_York or UTC.", field=field)
    return name.strip()


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone called ``name``; UTC for none (notices written before zones were sent)."""
    try:
        return zoneinfo.ZoneInfo(name or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def local(moment: datetime, name: str | None) -> datetime:
    """``moment`` at the wall-clock time of the zone ``name``."""
    return moment.astimezone(zone(name))


def format_time(moment: datetime, name: str | None, locale: str = LOCALE) -> str:
    """A time as people at the venue read it, with the zone: ``Tue 1 Jul 2031, 20:00
    Europe/Berlin`` (``... 18:00 UTC`` without a zone)."""
    tz = zone(name)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    text = format_datetime(moment, "EEE d MMM y, HH:mm", tzinfo=tz, locale=locale)
    return f"{text} {tz.key}"
