"""Notification's pure parts: every mail renders, tickets sign and verify, backoff grows."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from subgraphs.kernel.keys import new_ed25519_key
from subgraphs.notification import mail, tickets
from subgraphs.notification.consumers import KINDS
from subgraphs.notification.deliveries import backoff
from subgraphs.notification.models import TicketKey
from subgraphs.notification.rendering import context_of

SHOW = {"title": "Northern Lights Live", "starts_at": "2030-01-04T19:30:00+00:00"}
PAYLOADS: dict[str, dict[str, Any]] = {
    "CONFIRMATION": {"booking_id": "b1", "user_id": "u1", "show_id": "s1", "amount": 9000,
                     "currency": "EUR", "payment_id": "p1", "show": SHOW,
                     "tickets": [{"id": "seat-1", "label": "A1"},
                                 {"id": "floor:1", "label": "Floor #1"}]},
    "RECEIPT": {"payment_id": "p1", "booking_id": "b1", "user_id": "u1", "amount": 9000,
                "currency": "EUR", "provider": "sandbox",
                "succeeded_at": "2030-01-01T10:00:00+00:00"},
    "CANCELLATION": {"booking_id": "b1", "user_id": "u1", "show_id": "s1", "amount": 9000,
                     "currency": "EUR", "previous_status": "CONFIRMED",
                     "reason": "SHOW_CANCELLED", "payment_id": "p1", "seat_ids": [],
                     "show": SHOW},
    "REFUND": {"payment_id": "p1", "booking_id": "b1", "refund_id": "r1", "user_id": "u1",
               "amount": 9000, "currency": "EUR", "reason": "SHOW_CANCELLED",
               "refunded_total": 9000, "fully_refunded": True, "provider": "sandbox"},
    "EXPIRY": {"booking_id": "b1", "user_id": "u1", "show_id": "s1", "amount": 9000,
               "currency": "EUR", "show": SHOW},
    "WAITLIST_OFFER": {"entry_id": "e1", "user_id": "u1", "show_id": "s1", "hold_id": "h1",
                       "expires_at": "2030-01-01T10:15:00+00:00", "seat_ids": ["x1", "x2"],
                       "labels": ["A1", "A2"], "show": SHOW},
    "RESCHEDULED": {"booking_id": "b1", "user_id": "u1", "show_id": "s1", "amount": 9000,
                    "currency": "EUR", "show": SHOW,
                    "previous_starts_at": "2030-01-03T19:30:00+00:00",
                    "cancellable_until": SHOW["starts_at"]},
}


def key() -> TicketKey:
    pair = new_ed25519_key()
    return TicketKey(kid=pair.kid, private_pem=pair.private_pem, public_jwk=pair.public_jwk)


@pytest.mark.parametrize("kind", sorted(set(KINDS.values())))
def test_every_kind_renders_text_html_and_an_sms(kind: str) -> None:
    context = context_of(PAYLOADS[kind], "Ada <Lovelace>")
    context["subject"] = "S"
    rendered = mail.render(kind, context)
    assert rendered.subject and "Ada <Lovelace>" in rendered.text
    assert "Ada &lt;Lovelace&gt;" in rendered.html  # HTML is escaped
    assert "90.00 EUR" in rendered.text or kind in ("CONFIRMATION", "EXPIRY", "WAITLIST_OFFER")
    assert mail.render_sms(kind, {**context, "tickets": PAYLOADS[kind].get("tickets", [])})


def test_a_confirmation_mail_has_a_qr_per_ticket_inline_and_attached() -> None:
    signing = key()
    signed = tickets.sign_tickets(tickets.SigningKey.of(signing), PAYLOADS["CONFIRMATION"])
    images = [mail.Image(mail.new_cid(), f"ticket-{i}.png", t.qr_png())
              for i, t in enumerate(signed, 1)]
    context = context_of(PAYLOADS["CONFIRMATION"], "Ada") | {
        "subject": "S", "images": images,
        "tickets": [{"label": t.label, "token": t.token, "cid": i.cid}
                    for t, i in zip(signed, images, strict=True)]}
    message = mail.build_message("TicketFlow <t@example.com>", "ada@example.com",
                                 mail.render("CONFIRMATION", context), "e1.email")
    pngs = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert [p.get_content_disposition() for p in pngs] == ["inline", "inline",
                                                           "attachment", "attachment"]
    assert all(p.get_content().startswith(b"\x89PNG") for p in pngs)  # type: ignore[attr-defined]
    assert message["Message-ID"] == "<e1.email@ticketflow>"
    jwks = {"keys": [json.loads(signing.public_jwk)]}
    claims = [tickets.verify_ticket(t.token, jwks) for t in signed]
    assert [c["tid"] for c in claims] == ["b1:seat-1", "b1:floor:1"]
    assert [c["seat"] for c in claims] == ["A1", "Floor #1"]
    assert {c["sid"] for c in claims} == {"s1"}


def test_a_ticket_signed_by_another_key_does_not_verify() -> None:
    (token,) = tickets.sign_tickets(tickets.SigningKey.of(key()), {**PAYLOADS["CONFIRMATION"],
                                            "tickets": [{"id": "x", "label": "A1"}]})
    stranger = key()
    other = json.loads(stranger.public_jwk) | {"kid": jwt.get_unverified_header(
        token.token)["kid"]}
    with pytest.raises(jwt.InvalidSignatureError):
        tickets.verify_ticket(token.token, {"keys": [other]})
    with pytest.raises(jwt.InvalidKeyError):
        tickets.verify_ticket(token.token, {"keys": [json.loads(stranger.public_jwk)]})


def test_backoff_doubles_up_to_an_hour() -> None:
    settings = SimpleNamespace(notification_retry_seconds=30)
    assert [backoff(settings, n) for n in (1, 2, 3)] == [
        timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert backoff(settings, 20) == timedelta(hours=1)


@pytest.mark.parametrize(("amount", "currency", "reads"), [
    (1250, "EUR", "12.50 EUR"),
    (123456789, "USD", "1,234,567.89 USD"),
    (5, "EUR", "0.05 EUR"),
    (0, "EUR", "0.00 EUR"),
    (12345, "KWD", "12.345 KWD"),  # three decimals: fils, not cents
    (1250, "BHD", "1.250 BHD"),
    (7, "OMR", "0.007 OMR"),
    (1000, "JOD", "1.000 JOD"),
    (2500500, "TND", "2,500.500 TND"),
    (1250, "JPY", "1,250 JPY"),  # no minor unit: 1250 yen, not 12.50
    (1250, "KRW", "1,250 KRW"),
    (1250500, "IQD", "1,250.500 IQD"),  # ISO 4217 has 3 digits where CLDR shows none
    (12345, "UYW", "1.2345 UYW"),  # four digits (Uruguay's unidad previsional)
], ids=lambda v: str(v))
def test_minor_units_read_with_exactly_the_currencys_iso_4217_digits(
        amount: int, currency: str, reads: str) -> None:
    assert mail.money({"amount": amount, "currency": currency}) == reads


def test_show_times_read_as_at_the_venue_with_its_zone() -> None:
    berlin = {"title": "T", "starts_at": "2031-07-01T18:00:00+00:00", "time_zone": "Europe/Berlin"}
    tokyo = {**berlin, "time_zone": "Asia/Tokyo"}
    winter = {**berlin, "starts_at": "2031-01-15T18:00:00+00:00"}
    assert mail.show_time(berlin) == "Tue 1 Jul 2031, 20:00 Europe/Berlin"  # CEST, UTC+2
    assert mail.show_time(winter) == "Wed 15 Jan 2031, 19:00 Europe/Berlin"  # CET, UTC+1
    assert mail.show_time(tokyo) == "Wed 2 Jul 2031, 03:00 Asia/Tokyo"  # the next day there
    # A notice written before shows named their zone, and a receipt's payment time: UTC.
    assert mail.show_time({"title": "T", "starts_at": "2031-07-01T18:00:00+00:00"}) \
        == "Tue 1 Jul 2031, 18:00 UTC"
    assert mail.when("2030-01-04T19:30:00+00:00") == "Fri 4 Jan 2030, 19:30 UTC"


def test_a_confirmation_in_kwd_at_a_berlin_venue_reads_local_time_and_fils() -> None:
    show = {"title": "Northern Lights Live", "starts_at": "2031-07-01T18:00:00+00:00",
            "time_zone": "Europe/Berlin"}
    payload = {**PAYLOADS["CONFIRMATION"], "amount": 25005, "currency": "KWD", "show": show}
    context = context_of(payload, "Ada") | {"subject": "S", "tickets": [
        {"label": "A1", "token": "t1", "cid": "c1"}, {"label": "A2", "token": "t2", "cid": "c2"}]}
    rendered = mail.render("CONFIRMATION", context)
    for body in (rendered.text, rendered.html):
        assert "Total: 25.005 KWD" in body
        assert "UTC" not in body and "18:00" not in body
        # Once for the show, once on each ticket.
        assert body.count("Tue 1 Jul 2031, 20:00 Europe/Berlin") == 3
    sms = mail.render_sms("CONFIRMATION", {**context, "tickets": payload["tickets"]})
    assert "Tue 1 Jul 2031, 20:00 Europe/Berlin" in sms
    receipt = mail.render("RECEIPT", context_of({**PAYLOADS["RECEIPT"], "amount": 25005,
                                               "currency": "KWD"}, "Ada") | {"subject": "S"})
    assert "25.005 KWD" in receipt.text and "250.05" not in receipt.text


def test_a_waiting_list_offer_names_the_seats_and_the_deadline_in_the_venues_zone() -> None:
    payload = PAYLOADS["WAITLIST_OFFER"] | {"show": {**SHOW, "time_zone": "Europe/Berlin"}}
    context = context_of(payload, "Ada") | {"subject": "S"}
    rendered = mail.render("WAITLIST_OFFER", context)
    # 10:15 UTC on 1 January is 11:15 in Berlin (winter time)
    assert "until Tue 1 Jan 2030, 11:15 Europe/Berlin" in rendered.subject
    assert "A1, A2" in rendered.text and "h1" in rendered.text
    assert "11:15 Europe/Berlin" in mail.render_sms("WAITLIST_OFFER", context)


def test_a_move_names_the_old_and_the_new_time_in_the_venues_zone_and_the_way_out() -> None:
    show = {**SHOW, "starts_at": "2031-07-02T19:00:00+00:00", "time_zone": "Europe/Berlin"}
    payload = PAYLOADS["RESCHEDULED"] | {"show": show, "amount": 25005, "currency": "KWD",
                                         "previous_starts_at": "2031-07-01T18:00:00+00:00",
                                         "cancellable_until": show["starts_at"]}
    context = context_of(payload, "Ada") | {"subject": "S"}
    rendered = mail.render("RESCHEDULED", context)
    assert rendered.subject == ("Northern Lights Live has moved to "
                                "Wed 2 Jul 2031, 21:00 Europe/Berlin")
    for body in (rendered.text, rendered.html):
        assert "Tue 1 Jul 2031, 20:00 Europe/Berlin" in body  # was (summer time, UTC+2)
        assert body.count("Wed 2 Jul 2031, 21:00 Europe/Berlin") == 2  # now, cancel until
        assert "cancel" in body and "25.005 KWD" in body and "UTC" not in body
    sms = mail.render_sms("RESCHEDULED", context)
    assert "from Tue 1 Jul 2031, 20:00 Europe/Berlin to Wed 2 Jul 2031, 21:00" in sms
    # Moved to a time already past (cancelBooking refuses customers then): no such offer.
    payload.pop("cancellable_until")
    past = mail.render("RESCHEDULED", context_of(payload, "Ada") | {"subject": "S"})
    for body in (past.text, past.html):
        assert "can no longer be cancelled" in body and "My bookings" not in body


def test_the_verification_mail_carries_the_token_and_its_link() -> None:
    payload = {"user_id": "u1", "email": "ada@example.com", "name": "Ada", "token": "tok-EN_1",
               "expires_at": "2030-01-03T10:00:00+00:00",
               "link": "http://localhost:4000/#/verify?token=tok-EN_1&x=<y>"}
    context = context_of(payload, "Ada")
    context["subject"] = "S"
    rendered = mail.render("VERIFY_EMAIL", context)
    assert rendered.subject == "Confirm your email address for TicketFlow"
    assert "http://localhost:4000/#/verify?token=tok-EN_1&x=<y>" in rendered.text
    assert "\ntok-EN_1\n" in rendered.text and "ada@example.com" in rendered.text
    assert 'href="http://localhost:4000/#/verify?token=tok-EN_1&amp;x=&lt;y&gt;"' in rendered.html
    assert "until Thu 3 Jan 2030, 10:00 UTC" in rendered.text
    assert "updateNotificationPreferences" not in rendered.html  # no notice: mails-off is moot
    receipt = mail.render("RECEIPT", {**context_of(PAYLOADS["RECEIPT"], "Ada"), "subject": "S"})
    assert "updateNotificationPreferences" in receipt.html
