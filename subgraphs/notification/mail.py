"""Mails: rendering from the templates (Jinja2), building the MIME message, and sending it
over SMTP (aiosmtplib) or, without an SMTP host, into a folder as ``.eml`` files."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, Protocol

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from subgraphs.kernel.errors import BrokenInvariant, present
from subgraphs.kernel.l10n import format_money, format_time
from subgraphs.kernel.settings import Settings

log = logging.getLogger("ticketflow.notification.mail")
TEMPLATES = Path(__file__).resolve().parent / "templates"


class DeliveryError(Exception):
    """A message could not be handed over. ``permanent``: trying again will not help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def money(payload: dict[str, Any]) -> str:
    """A payload's ``amount`` (minor units) and ``currency`` as people read them:
    ``12.50 EUR``, ``12.345 KWD``, ``1,250 JPY`` (subgraphs/kernel/l10n.py)."""
    return format_money(int(payload["amount"]), str(payload["currency"]))


def when(iso: str | None, time_zone: str | None = None) -> str:
    """An ISO time in ``time_zone`` (UTC without one), with the zone:
    ``Tue 1 Jul 2031, 20:00 Europe/Berlin``."""
    if not iso:
        return ""
    return format_time(datetime.fromisoformat(iso), time_zone)


def show_time(show: dict[str, Any]) -> str:
    """When a show starts, as people at its venue read it (its ``time_zone``; notices
    written before shows named their zone are in UTC)."""
    return when(show.get("starts_at"), show.get("time_zone"))


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES),
                      autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["money"] = money
    env.filters["when"] = when
    env.filters["show_time"] = show_time
    return env


TEMPLATE_ENV = _environment()


@dataclass(frozen=True)
class Image:
    """An inline image (``cid``) that is also attached as a file."""

    cid: str
    filename: str
    png: bytes


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    images: Sequence[Image] = ()


def render(kind: str, context: dict[str, Any]) -> Rendered:
    """The subject and both bodies of one kind of mail (templates/<kind>.{txt,html})."""
    name = kind.lower()
    subject = TEMPLATE_ENV.get_template(f"{name}.subject").render(context).strip()
    text = TEMPLATE_ENV.get_template(f"{name}.txt").render(context)
    html = TEMPLATE_ENV.get_template(f"{name}.html").render(context)
    return Rendered(subject=subject, text=text, html=html, images=context.get("images", ()))


def render_sms(kind: str, context: dict[str, Any]) -> str:
    """A short text message (templates/sms.txt)."""
    text = TEMPLATE_ENV.get_template("sms.txt").render({**context, "kind": kind})
    return " ".join(text.split())


def new_cid() -> str:
    """A Content-ID for an inline image, without its angle brackets."""
    return make_msgid(domain="ticketflow")[1:-1]


def build_message(sender: str, to: str, rendered: Rendered, message_id: str) -> EmailMessage:
    """Plain text and HTML alternatives; each image inline in the HTML and attached."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = rendered.subject
    msg["Date"] = formatdate(localtime=False)
    # Stable per delivery: a receiving system may drop a copy it has already seen.
    msg["Message-ID"] = f"<{message_id}@ticketflow>"
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    if rendered.images:
        html_part = msg.get_body(("html",))
        if not isinstance(html_part, EmailMessage):  # add_alternative above made it one
            raise BrokenInvariant("the mail has no HTML part for its images")
        for image in rendered.images:
            html_part.add_related(image.png, "image", "png", cid=f"<{image.cid}>",
                                  disposition="inline", filename=image.filename)
        for image in rendered.images:
            msg.add_attachment(image.png, maintype="image", subtype="png",
                               filename=image.filename)
    return msg


class MailTransport(Protocol):
    """Where mails go."""

    async def send(self, message: EmailMessage) -> None:
        """Hand the message over; raise :class:`DeliveryError` when it could not be."""


class SmtpTransport:
    """An SMTP server (aiosmtplib). 5xx answers are permanent, everything else transient."""

    def __init__(self, settings: Settings) -> None:
        self.host = present(settings.smtp_host, "TICKETFLOW_SMTP_HOST")
        self.port = settings.smtp_port
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.tls = settings.smtp_tls
        self.timeout = settings.smtp_timeout_seconds

    async def send(self, message: EmailMessage) -> None:
        try:
            await aiosmtplib.send(
                message, hostname=self.host, port=self.port, username=self.username,
                password=self.password, use_tls=self.tls == "tls",
                start_tls=self.tls == "starttls", timeout=self.timeout)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            raise DeliveryError(f"recipient refused: {detail}",
                                permanent=all(c >= 500 for c in codes)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.code} {exc.message}",
                                permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"SMTP server unreachable: {exc!r}") from exc


class FileTransport:
    """Writes each mail into a folder as an ``.eml`` file that any mail program opens
    (``make dev`` without SMTP settings: a newcomer reads what would have been sent)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._write, message)

    def _write(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        ident = str(message["Message-ID"]).strip("<>").split("@")[0].replace(":", "-")
        target = self.folder / f"{stamp}-{ident}.eml"
        # Written whole, then renamed: a reader never sees half a mail.
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(message.as_bytes())
        os.replace(tmp, target)


def build_transport(settings: Settings) -> MailTransport:
    """SMTP when a host is set; otherwise the folder ``<data_dir>/mail``."""
    if settings.smtp_host:
        return SmtpTransport(settings)
    if settings.env == "production":
        log.warning("TICKETFLOW_SMTP_HOST is not set: mails are written to %s, not sent",
                    settings.mail_dir)
    return FileTransport(settings.mail_dir)
