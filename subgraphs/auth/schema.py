"""The auth subgraph's GraphQL schema. Resolvers are thin: input in, service call, type out."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum
from typing import Annotated

import strawberry
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from subgraphs.auth import models, service, sessions
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.tokens import active_key, jwks
from subgraphs.kernel.auth import require_caller, require_owner_or_admin
from subgraphs.kernel.db import utcnow
from subgraphs.kernel.graphql import Info, build_schema, session_batch
from subgraphs.kernel.inputs import text_rule
from subgraphs.kernel.service import Service, SubgraphSpec


@strawberry.enum(description="What a user may do: customers buy, organizers sell, admins run.")
class Role(Enum):
    CUSTOMER = "CUSTOMER"
    ORGANIZER = "ORGANIZER"
    ADMIN = "ADMIN"


def _passwords(svc: Service) -> Passwords:
    return svc.once("passwords", lambda: Passwords(svc.settings))


_load_users = session_batch(service.users_by_ids)
# Longer than the kernel's 256 characters: the service's own limits say what is too long.
EMAIL_TEXT = text_rule(service.MAX_EMAIL)
PASSWORD_TEXT = text_rule(service.MAX_PASSWORD)
# A token of any length is a token to check: one that is not ours is UNAUTHENTICATED.
TOKEN_TEXT = text_rule(4096)


@strawberry.type(description="How a user wants to hear about bookings, payments and refunds.")
class NotificationPreferences:
    email: bool = strawberry.field(description="Mails: confirmations with e-tickets, receipts, "
                                   "cancellation, refund and expiry notices.")
    sms: bool = strawberry.field(description="Short text messages to `phone`.")
    phone: str | None = strawberry.field(description="E.164, e.g. +4915112345678.")


@strawberry.federation.type(keys=["id"], description="A person with a TicketFlow account.")
class User:
    id: strawberry.ID
    name: str
    role: Role
    _email: strawberry.Private[str]
    _model: strawberry.Private[models.User]
    # True when the payload is the caller's own account (register and login answers).
    _own: strawberry.Private[bool] = False

    @strawberry.field(description="Visible to the user themself and to admins.")
    def email(self, info: Info) -> str:
        if not self._own:
            require_owner_or_admin(info.context.caller, str(self.id))
        return self._email

    @strawberry.field(description="Whether the owner confirmed the email address with the "
                      "mailed link (verifyEmail); accounts made by an operator are verified. "
                      "Visible to the user themself and to admins.")
    def email_verified(self, info: Info) -> bool:
        if not self._own:
            require_owner_or_admin(info.context.caller, str(self.id))
        return self._model.email_verified_at is not None

    @strawberry.field(description="Visible to the user themself and to admins.")
    def notification_preferences(self, info: Info) -> NotificationPreferences:
        if not self._own:
            require_owner_or_admin(info.context.caller, str(self.id))
        u = self._model
        return NotificationPreferences(email=u.email_notifications, sms=u.sms_notifications,
                                       phone=u.phone)

    @classmethod
    def from_model(cls, user: models.User, *, own: bool = False) -> User:
        return cls(id=strawberry.ID(user.id), name=user.name, role=Role(user.role),
                   _email=user.email, _model=user, _own=own)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        user = await info.context.loader(_load_users).load(str(id))
        return None if user is None else cls.from_model(user)


@strawberry.type(description="What register, login and refresh return.")
class AuthPayload:
    access_token: str = strawberry.field(description="Send as 'Authorization: Bearer <token>'.")
    refresh_token: str = strawberry.field(
        description="Single use: exchange it with `refresh` for new tokens before expiresAt "
        "passes. Keep it secret; presenting a spent one ends the session.")
    expires_at: datetime = strawberry.field(description="When the access token expires.")
    user: User

    @classmethod
    def of(cls, tokens: sessions.Tokens) -> AuthPayload:
        return cls(access_token=tokens.access.token, refresh_token=tokens.refresh_token,
                   expires_at=tokens.access.expires_at, user=User.from_model(tokens.user, own=True))


@strawberry.type(description="A signed-in device or browser.")
class SessionInfo:
    id: strawberry.ID
    created_at: datetime
    last_used_at: datetime
    user_agent: str | None
    client_address: str | None
    current: bool = strawberry.field(description="The session of this request's token.")


@strawberry.input
class ChangePasswordInput:
    current_password: str = strawberry.field(metadata=PASSWORD_TEXT)
    new_password: str = strawberry.field(description="At least 10 characters, not the email.",
                                         metadata=PASSWORD_TEXT)


@strawberry.input
class RegisterInput:
    email: str = strawberry.field(metadata=EMAIL_TEXT)
    password: str = strawberry.field(description="At least 10 characters, not the email.",
                                     metadata=PASSWORD_TEXT)
    name: str


@strawberry.input(description="Leave a field out to keep it; `phone: null` removes the phone.")
class NotificationPreferencesInput:
    email: bool | None = None
    sms: bool | None = strawberry.field(default=None, description="Needs a phone.")
    phone: str | None = strawberry.field(default=strawberry.UNSET,
                                         description="E.164, e.g. +4915112345678.")


@strawberry.input
class LoginInput:
    email: str = strawberry.field(metadata=EMAIL_TEXT)
    password: str = strawberry.field(metadata=PASSWORD_TEXT)


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user, or null for anonymous requests.")
    async def me(self, info: Info) -> User | None:
        caller = info.context.caller
        if caller is None:
            return None
        return await User.resolve_reference(info, strawberry.ID(caller.user_id))

    @strawberry.field(description="Your sessions that have not ended.")
    async def my_sessions(self, info: Info) -> list[SessionInfo]:
        who = require_caller(info.context.caller)
        rows = await sessions.active(info.context.service, who.user_id)
        return [SessionInfo(id=strawberry.ID(s.id), created_at=s.created_at,
                            last_used_at=s.last_used_at, user_agent=s.user_agent,
                            client_address=s.client_address, current=s.id == who.session_id)
                for s in rows]


def _client(info: Info) -> service.Client:
    return service.Client(info.context.client_address, info.context.user_agent)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a customer account and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        svc = info.context.service
        return AuthPayload.of(await service.register(
            svc, _passwords(svc), input.email, input.password, input.name, _client(info)))

    @strawberry.mutation(description="Sign in: a new session with its first tokens.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        svc = info.context.service
        return AuthPayload.of(await service.login(
            svc, _passwords(svc), input.email, input.password, _client(info)))

    @strawberry.mutation(description="Spend a refresh token for new tokens of its session.")
    async def refresh(self, info: Info, refresh_token: Annotated[
            str, strawberry.argument(metadata=TOKEN_TEXT)]) -> AuthPayload:
        return AuthPayload.of(await sessions.refresh(info.context.service, refresh_token))

    @strawberry.mutation(description="End this session (its tokens stop working).")
    async def logout(self, info: Info) -> bool:
        who = require_caller(info.context.caller)
        if who.session_id is None:
            return False
        ended = await sessions.end(info.context.service, who.user_id, only=who.session_id,
                                   reason="logout")
        return ended == 1

    @strawberry.mutation(description="End every session of yours; how many ended.")
    async def logout_everywhere(self, info: Info) -> int:
        who = require_caller(info.context.caller)
        return await sessions.end(info.context.service, who.user_id, reason="logout everywhere")

    @strawberry.mutation(description="Change your password; every other session ends. "
                         "Returns how many ended.")
    async def change_password(self, info: Info, input: ChangePasswordInput) -> int:
        svc = info.context.service
        return await service.change_password(svc, _passwords(svc), info.context.caller,
                                             input.current_password, input.new_password)

    @strawberry.mutation(description="Change how you hear from TicketFlow (your own account). "
                         "SMS needs a phone number in E.164 form.")
    async def update_notification_preferences(self, info: Info,
                                              input: NotificationPreferencesInput) -> User:
        given = input.phone is not strawberry.UNSET
        user = await service.update_notification_preferences(
            info.context.service, info.context.caller, input.email, input.sms,
            input.phone if given else None, given)
        return User.from_model(user, own=True)

    @strawberry.mutation(description="Confirm your email address with the token of the mailed "
                         "link (no sign-in needed: the token is the credential). Single use, "
                         "valid 48 hours; BAD_USER_INPUT for an unknown, used or expired token. "
                         "Access tokens say so from the session's next refresh or sign-in.")
    async def verify_email(self, info: Info, token: Annotated[
            str, strawberry.argument(metadata=TOKEN_TEXT)]) -> User:
        user = await service.verify_email(info.context.service, token)
        return User.from_model(user, own=True)

    @strawberry.mutation(description="Mail your account a new verification link (signed in; "
                         "rate-limited): true when one was sent, false (nothing done) when your "
                         "address is verified already.")
    async def resend_verification_email(self, info: Info) -> bool:
        return await service.resend_verification(info.context.service, info.context.caller,
                                                 _client(info))

    @strawberry.mutation(description="Give a user a role (admins). The user's sessions end, "
                         "so the new role applies at their next sign-in.")
    async def set_user_role(self, info: Info, user_id: strawberry.ID, role: Role) -> User:
        user = await service.set_role(info.context.service, info.context.caller, str(user_id),
                                      role.value)
        return User.from_model(user)


def _routes(app: FastAPI, svc: Service) -> None:
    @app.get("/.well-known/jwks.json")
    async def jwks_document() -> JSONResponse:
        async with svc.db.reader() as session:
            document = await jwks(session, svc.settings)
        return JSONResponse(document, headers={"cache-control": "public, max-age=300"})


async def _start_up(svc: Service) -> None:
    # The JWKS is never empty, so subgraphs can verify the first token issued.
    async with svc.uow() as uow:
        await active_key(uow.session)
        await uow.commit()
    # Memory guards (embedded mode) forget revocations on restart: announce them again.
    ttl = svc.settings.access_token_ttl_seconds + 60
    since = utcnow() - timedelta(seconds=ttl)
    await svc.runtime.guards.revoke(await sessions.recently_revoked(svc, since), ttl)


schema = build_schema(Query, Mutation, types=[User])
SPEC = SubgraphSpec(name="auth", schema=schema, metadata=models.Base.metadata,
                    tables=models.TABLES, routes=_routes, background=[_start_up])
