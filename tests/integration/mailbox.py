"""A real SMTP server on loopback (aiosmtpd) for the notification tests, and reading mails."""

from __future__ import annotations

import email
import io
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

import zxingcpp
from aiosmtpd.controller import Controller
from PIL import Image

from tests.harness import free_port

TOKEN = re.compile(r"^Ticket token: (\S+)", re.MULTILINE)


@dataclass
class Mailbox:
    """What the SMTP server accepted. Recipients starting with ``bounce-`` are refused for
    good (550), as a mail server refuses an address that does not exist."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.startswith("bounce-"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str, subject_starts: str = "") -> list[EmailMessage]:
        """Mails to ``address`` whose subject starts so."""
        return [m for rcpts, m in self.messages
                if address in rcpts and str(m["Subject"]).startswith(subject_starts)]


class SmtpServer:
    """aiosmtpd on a free loopback port, which a test can stop (an outage) and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def text_body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def tokens(message: EmailMessage) -> list[str]:
    """The ticket tokens a confirmation's plain-text body lists."""
    return TOKEN.findall(text_body(message))


def qr_codes(message: EmailMessage) -> tuple[list[str], list[str]]:
    """What the QR codes say: (the inline images', the attached ones'), read from the PNGs
    with a real decoder (zxing-cpp), as a door scanner would."""
    inline, attached = [], []
    for part in message.walk():
        if part.get_content_type() != "image/png":
            continue
        image = Image.open(io.BytesIO(part.get_payload(decode=True)))  # type: ignore[arg-type]
        # QR codes only: over all formats the decoder now and then also "finds" a short
        # linear code in the QR's modules (e.g. 'B56D' beside the token).
        found = [code.text for code in
                 zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]
        assert len(found) == 1, found
        (attached if part.get_content_disposition() == "attachment" else inline).append(found[0])
    return inline, attached


def images(message: EmailMessage) -> tuple[list[str], list[str]]:
    """(Content-IDs of the inline images, file names of the attached ones)."""
    inline, attached = [], []
    for part in message.walk():
        if part.get_content_type() != "image/png":
            continue
        if part.get_content_disposition() == "attachment":
            attached.append(str(part.get_filename()))
        else:
            inline.append(str(part["Content-ID"]))
    return inline, attached


def mail_settings(server: SmtpServer) -> dict[str, Any]:
    """A deployment's settings that send its mail to ``server`` (loopback, no TLS)."""
    return {"smtp_host": "127.0.0.1", "smtp_port": server.port, "smtp_tls": "none",
            "smtp_timeout_seconds": 5, "mail_from": "TicketFlow <tickets@example.com>"}
