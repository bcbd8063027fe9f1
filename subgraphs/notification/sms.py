"""Text messages behind a small provider interface; the default provider writes to the log."""

from __future__ import annotations

import logging
from typing import Protocol

from subgraphs.kernel.settings import Settings

log = logging.getLogger("ticketflow.notification.sms")


class SmsProvider(Protocol):
    """Sends a text message; raises ``DeliveryError`` (mail.py) when it could not."""

    name: str

    async def send(self, phone: str, text: str) -> None:
        """Send ``text`` to the E.164 number ``phone``."""


class LogSms:
    """Writes each message to the log (development, demos, tests)."""

    name = "log"

    async def send(self, phone: str, text: str) -> None:
        log.info("sms to %s: %s", phone, text)


def build_sms_provider(settings: Settings) -> SmsProvider:
    """The provider ``TICKETFLOW_SMS_PROVIDER`` names."""
    if settings.sms_provider == "log":
        return LogSms()
    raise ValueError(f"unknown SMS provider {settings.sms_provider}")
