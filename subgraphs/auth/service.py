"""Auth use cases: register, log in, look users up. Resolvers call these and nothing else."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from subgraphs.auth.models import User
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.tokens import AccessToken, active_key, issue_access_token
from subgraphs.kernel.app import Service
from subgraphs.kernel.auth import ROLES
from subgraphs.kernel.db import one_each
from subgraphs.kernel.errors import BadUserInput, Conflict, Unauthenticated

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased: ``Ann@Example.COM `` and ``ann@example.com`` are one account."""
    return email.strip().lower()


def validate_registration(email: str, password: str, name: str) -> None:
    """Raise ``BAD_USER_INPUT`` naming the first offending field."""
    if not EMAIL.match(email) or len(email) > 320:
        raise BadUserInput("Enter a valid email address.", field="input.email")
    if len(password) < MIN_PASSWORD:
        raise BadUserInput(
            f"The password must have at least {MIN_PASSWORD} characters.", field="input.password"
        )
    if password.strip().lower() == email:
        raise BadUserInput("The password must not be the email address.", field="input.password")
    if not name.strip() or len(name) > 200:
        raise BadUserInput("Enter a name of 1 to 200 characters.", field="input.name")


async def register(
    service: Service, passwords: Passwords, email: str, password: str, name: str,
    role: str = "CUSTOMER",
) -> User:
    """Create an account; ``CONFLICT`` if the email is taken."""
    email = normalise_email(email)
    validate_registration(email, password, name)
    if role not in ROLES:
        raise BadUserInput(f"Unknown role {role}.", field="role")
    password_hash = await passwords.hash(password)
    try:
        async with service.uow() as uow:
            if await uow.session.scalar(select(User.id).where(User.email == email)):
                raise Conflict("An account with this email already exists.", field="input.email")
            user = User(email=email, name=name.strip(), password_hash=password_hash, role=role)
            uow.session.add(user)
            await uow.session.flush()
            uow.emit("UserRegistered", {"user_id": user.id, "email": email, "name": user.name})
    except IntegrityError as exc:
        raise Conflict("An account with this email already exists.", field="input.email") from exc
    return user


async def login(
    service: Service, passwords: Passwords, email: str, password: str
) -> tuple[User, AccessToken]:
    """The user and a fresh access token; one generic failure for every wrong credential."""
    async with service.db.session() as session:
        user = await session.scalar(select(User).where(User.email == normalise_email(email)))
    ok = await passwords.verify(user.password_hash if user else None, password)
    if user is None or not ok:
        raise Unauthenticated("The email or password is wrong.")
    return user, await token_for(service, user)


async def token_for(service: Service, user: User) -> AccessToken:
    """Sign an access token for ``user`` with the active key."""
    async with service.uow() as uow:
        key = await active_key(uow.session)
    return issue_access_token(user, key, service.settings)


async def users_by_ids(session: AsyncSession, ids: Sequence[str]) -> list[User | None]:
    """Users in the order of ``ids`` (``None`` where unknown), in one query."""
    return await one_each(session, User.id, ids)
