"""Auth use cases: register, log in, look users up. Resolvers call these and nothing else."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.auth import sessions, verification
from subgraphs.auth.models import User
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.sessions import Tokens
from subgraphs.kernel.auth import ROLES, Caller, require_caller, require_role
from subgraphs.kernel.db import one_each, utcnow
from subgraphs.kernel.errors import (
    BadUserInput,
    Conflict,
    NotFound,
    Unauthenticated,
    unavailable_cause,
)
from subgraphs.kernel.events import (
    NotificationPreferencesChanged,
    PasswordChanged,
    UserRegistered,
    UserRoleChanged,
)
from subgraphs.kernel.guards import RateLimited
from subgraphs.kernel.service import Service
from subgraphs.kernel.uow import UnitOfWork

log = logging.getLogger("ticketflow.auth")

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+[1-9][0-9]{7,14}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing cost should not be the attacker's to choose
MAX_EMAIL = 320  # RFC 5321: 64 for the local part, @, 255 for the domain


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased: ``Ann@Example.COM `` and ``ann@example.com`` are one account."""
    return email.strip().lower()


def validate_password(email: str, password: str, field: str = "input.password") -> None:
    """The password policy: at least ten characters, and not the email address."""
    if len(password) < MIN_PASSWORD:
        raise BadUserInput(
            f"The password must have at least {MIN_PASSWORD} characters.", field=field)
    if len(password) > MAX_PASSWORD:
        raise BadUserInput(f"The password may have at most {MAX_PASSWORD} characters.",
                           field=field)
    if password.strip().lower() == email:
        raise BadUserInput("The password must not be the email address.", field=field)


def validate_registration(email: str, password: str, name: str) -> None:
    """Raise ``BAD_USER_INPUT`` naming the first offending field."""
    if not EMAIL.match(email) or len(email) > MAX_EMAIL:
        raise BadUserInput("Enter a valid email address.", field="input.email")
    validate_password(email, password)
    if not name.strip() or len(name) > 200:
        raise BadUserInput("Enter a name of 1 to 200 characters.", field="input.name")


@dataclass(frozen=True)
class Client:
    """Who is asking, as far as the request tells: for rate limits and the session list."""

    address: str | None
    user_agent: str | None


async def _limit(service: Service, action: str, email: str, client: Client) -> None:
    """Count one attempt per address and per email; ``RATE_LIMITED`` past either limit."""
    s = service.settings
    per_email = getattr(s, f"{action}_limit_per_email")
    per_address = getattr(s, f"{action}_limit_per_address")
    keys = [(f"{action}:email:{email}", per_email)]
    if client.address:
        keys.append((f"{action}:address:{client.address}", per_address))
    try:
        waits = [await service.runtime.guards.hit(key, limit, s.rate_limit_window_seconds)
                 for key, limit in keys]
    except Exception as exc:
        if not unavailable_cause(exc):
            raise
        # Redis (the shared counters) is unreachable: signing in must not stop with it.
        # Argon2's cost per attempt still bounds guessing (docs/failures.md).
        log.warning("rate limit skipped, Redis unreachable: %r", exc)
        return
    refused = [w for w in waits if w is not None]
    if refused:
        raise RateLimited(max(refused))


async def create_account(service: Service, passwords: Passwords, email: str, password: str,
                         name: str, role: str = "CUSTOMER") -> User:
    """Create an account with any role (the admin CLI's and the seed's path; no session).
    Its email counts as verified: the operator vouches for it."""
    email = normalise_email(email)
    validate_registration(email, password, name)
    if role not in ROLES:
        raise BadUserInput(f"Unknown role {role}.", field="role")
    password_hash = await passwords.hash(password)
    try:
        async with service.uow() as uow:
            # An operator vouches for the accounts they make: verified from the start.
            user = await _insert_user(uow, email, password_hash, name, role, verified=True)
            await uow.commit()
            return user
    except IntegrityError as exc:
        raise Conflict("An account with this email already exists.", field="input.email") from exc


async def _insert_user(uow: UnitOfWork, email: str, password_hash: str, name: str,
                       role: str, *, verified: bool) -> User:
    if await uow.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict("An account with this email already exists.", field="input.email")
    user = User(email=email, name=name.strip(), password_hash=password_hash, role=role,
                email_verified_at=utcnow() if verified else None)
    uow.session.add(user)
    await uow.session.flush()
    uow.emit(UserRegistered(user_id=user.id, email=email, name=user.name, role=role,
                            **_preferences(user)))
    return user


def _preferences(user: User) -> dict[str, Any]:
    # What notification's replica of a recipient holds (no call to auth on its send path).
    return {"phone": user.phone,
            "email_notifications": True if user.email_notifications is None
            else user.email_notifications,
            "sms_notifications": bool(user.sms_notifications)}


def validate_phone(phone: str) -> None:
    """E.164: a plus, a country code and subscriber number, 8 to 15 digits in all."""
    if not PHONE.match(phone):
        raise BadUserInput("Enter the phone number in E.164 form, like +4915112345678.",
                           field="input.phone")


async def update_notification_preferences(service: Service, caller: Caller | None,
                                          email: bool | None, sms: bool | None,
                                          phone: str | None, phone_given: bool) -> User:
    """Change the caller's own notification preferences (``None``: leave as it is; the phone
    is cleared by giving null). SMS needs a phone; bad input changes nothing."""
    who = require_caller(caller)
    if phone_given and phone is not None:
        validate_phone(phone)
    async with service.uow() as uow:
        user = await uow.session.get(User, who.user_id, with_for_update=True)
        if user is None:
            raise Unauthenticated("This account no longer exists.")
        new_phone = phone if phone_given else user.phone
        new_sms = user.sms_notifications if sms is None else sms
        if new_sms and not new_phone:
            raise BadUserInput("Give a phone number to get text messages.", field="input.phone")
        user.phone = new_phone
        user.sms_notifications = new_sms
        if email is not None:
            user.email_notifications = email
        uow.emit(NotificationPreferencesChanged(user_id=user.id, email=user.email,
                                                name=user.name, **_preferences(user)))
        await uow.commit()
    return user


async def register(service: Service, passwords: Passwords, email: str, password: str,
                   name: str, client: Client) -> Tokens:
    """Create a customer account and sign it in; ``CONFLICT`` if the email is taken. Its
    email is unverified until the mailed token comes back (:mod:`.verification`)."""
    email = normalise_email(email)
    validate_registration(email, password, name)
    await _limit(service, "register", email, client)
    password_hash = await passwords.hash(password)
    try:
        async with service.uow() as uow:
            user = await _insert_user(uow, email, password_hash, name, "CUSTOMER",
                                      verified=False)
            await verification.request(service, uow, user)
            tokens = await sessions.start(service, uow, user, client.user_agent, client.address)
            await uow.commit()
            return tokens
    except IntegrityError as exc:
        raise Conflict("An account with this email already exists.", field="input.email") from exc


async def verify_email(service: Service, token: str) -> User:
    """Spend a mailed verification token: its account is verified from now on."""
    return await verification.verify(service, token)


async def resend_verification(service: Service, caller: Caller | None,
                              client: Client) -> bool:
    """Mail the signed-in caller a new verification token: True when one was sent, False
    (a no-op, not counted) when the address is verified already. ``RATE_LIMITED`` past the
    per-account and per-address limits."""
    who = require_caller(caller)
    user = await service.get(User, who.user_id)
    if user is None:
        raise Unauthenticated("This account no longer exists.")
    if user.email_verified_at is not None:
        return False
    await _limit(service, "resend_verification", user.email, client)
    async with service.uow() as uow:
        fresh = await uow.session.get(User, who.user_id, with_for_update=True)
        if fresh is None:
            raise Unauthenticated("This account no longer exists.")
        if fresh.email_verified_at is not None:
            return False
        await verification.request(service, uow, fresh)
        await uow.commit()
    return True


async def login(service: Service, passwords: Passwords, email: str, password: str,
                client: Client) -> Tokens:
    """A new session; one generic failure, taking as long, for every wrong credential."""
    email = normalise_email(email)
    await _limit(service, "login", email, client)
    async with service.db.reader() as session:
        user = await session.scalar(select(User).where(User.email == email))
    ok = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok:
        raise Unauthenticated("The email or password is wrong.")
    # The password is at hand only now: a hash made with older argon2 parameters is
    # replaced by one made with the current ones, in the sign-in's own transaction.
    upgraded = await passwords.upgrade(user.password_hash, password)
    async with service.uow() as uow:
        if upgraded is not None:
            # Only over the hash just verified: a password changed meanwhile is kept.
            await uow.session.execute(
                update(User).where(User.id == user.id,
                                   User.password_hash == user.password_hash)
                .values(password_hash=upgraded))
        tokens = await sessions.start(service, uow, user, client.user_agent, client.address)
        await uow.commit()
        return tokens


async def change_password(service: Service, passwords: Passwords, caller: Caller | None,
                          current: str, new: str) -> int:
    """Change the caller's password and end every other session; how many ended."""
    who = require_caller(caller)
    async with service.db.reader() as session:
        user = await session.get(User, who.user_id)
    if user is None:
        raise Unauthenticated("This account no longer exists.")
    if not await passwords.verify(user.password_hash, current):
        raise BadUserInput("The current password is wrong.", field="currentPassword")
    validate_password(user.email, new, field="newPassword")
    password_hash = await passwords.hash(new)
    async with service.uow() as uow:
        await uow.session.execute(update(User).where(User.id == user.id)
                                  .values(password_hash=password_hash))
        uow.emit(PasswordChanged(user_id=user.id))
        await uow.commit()
    return await sessions.end(service, user.id, keep=who.session_id, reason="password changed")


async def set_role(service: Service, caller: Caller | None, user_id: str, role: str) -> User:
    """An admin gives a user a role; the user's sessions end so the new role applies now."""
    require_role(caller, "ADMIN")
    async with service.uow() as uow:
        user = await uow.session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound("No user with this id.", field="userId")
        user.role = role
        uow.emit(UserRoleChanged(user_id=user.id, role=role))
        await uow.commit()
    await sessions.end(service, user.id, reason="role changed")
    return user


async def users_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[User | None]:
    """Users in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, User.id, ids)
