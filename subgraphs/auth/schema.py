"""The auth subgraph's GraphQL schema. Resolvers are thin: input in, service call, type out."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from subgraphs.auth import models, service
from subgraphs.auth.passwords import Passwords
from subgraphs.auth.tokens import active_key, jwks
from subgraphs.kernel.app import Service, SubgraphSpec
from subgraphs.kernel.auth import require_owner_or_admin
from subgraphs.kernel.graphql import Info, build_schema, session_batch


@strawberry.enum(description="What a user may do: customers buy, organizers sell, admins run.")
class Role(Enum):
    CUSTOMER = "CUSTOMER"
    ORGANIZER = "ORGANIZER"
    ADMIN = "ADMIN"


def _passwords(svc: Service) -> Passwords:
    if "passwords" not in svc.state:
        svc.state["passwords"] = Passwords(svc.settings)
    return svc.state["passwords"]  # type: ignore[no-any-return]


_load_users = session_batch(service.users_by_ids)


@strawberry.federation.type(keys=["id"], description="A person with a TicketFlow account.")
class User:
    id: strawberry.ID
    name: str
    role: Role
    _email: strawberry.Private[str]
    # True when the payload is the caller's own account (register and login answers).
    _own: strawberry.Private[bool] = False

    @strawberry.field(description="Visible to the user themself and to admins.")
    def email(self, info: Info) -> str:
        if not self._own:
            require_owner_or_admin(info.context.caller, str(self.id))
        return self._email

    @classmethod
    def from_model(cls, user: models.User, *, own: bool = False) -> User:
        return cls(id=strawberry.ID(user.id), name=user.name, role=Role(user.role),
                   _email=user.email, _own=own)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> User | None:
        user = await info.context.loader(_load_users).load(str(id))
        return None if user is None else cls.from_model(user)


@strawberry.type(description="What register and login return.")
class AuthPayload:
    access_token: str = strawberry.field(description="Send as 'Authorization: Bearer <token>'.")
    expires_at: datetime
    user: User


@strawberry.input
class RegisterInput:
    email: str
    password: str = strawberry.field(description="At least 10 characters, not the email.")
    name: str


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user, or null for anonymous requests.")
    async def me(self, info: Info) -> User | None:
        caller = info.context.caller
        if caller is None:
            return None
        return await User.resolve_reference(info, strawberry.ID(caller.user_id))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Create a customer account and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        svc = info.context.service
        user = await service.register(svc, _passwords(svc), input.email, input.password,
                                      input.name)
        token = await service.token_for(svc, user)
        return AuthPayload(access_token=token.token, expires_at=token.expires_at,
                           user=User.from_model(user, own=True))

    @strawberry.mutation(description="Exchange email and password for an access token.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        svc = info.context.service
        user, token = await service.login(svc, _passwords(svc), input.email, input.password)
        return AuthPayload(access_token=token.token, expires_at=token.expires_at,
                           user=User.from_model(user, own=True))


def _routes(app: FastAPI, svc: Service) -> None:
    @app.get("/.well-known/jwks.json")
    async def jwks_document() -> JSONResponse:
        async with svc.db.session() as session:
            document = await jwks(session)
        return JSONResponse(document, headers={"cache-control": "public, max-age=300"})


async def _ensure_signing_key(svc: Service) -> None:
    # The JWKS is never empty, so subgraphs can verify the first token issued.
    async with svc.uow() as uow:
        await active_key(uow.session)


schema = build_schema(Query, Mutation, types=[User])
SPEC = SubgraphSpec(name="auth", schema=schema, metadata=models.Base.metadata,
                    tables=models.TABLES, routes=_routes, background=[_ensure_signing_key])
