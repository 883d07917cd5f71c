"""Dependencies of the routes: the context, a session, the calling user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from hpcsim import accounts
from hpcsim.api.context import AppContext
from hpcsim.errors import Unauthorized
from hpcsim.storage.models import User

# Documents Bearer auth in OpenAPI; the header itself is read below so that the
# older service's `Token <key>` form works too.
bearer = HTTPBearer(auto_error=False, description="An API token: `Bearer <token>`.")


def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


Context = Annotated[AppContext, Depends(get_context)]


async def get_session(context: Context) -> AsyncIterator[AsyncSession]:
    """Give a route a session in a transaction committed when it returns."""
    async with context.sessions() as session, session.begin():
        yield session


Session = Annotated[AsyncSession, Depends(get_session)]


def token_from(request: Request) -> str:
    """Return the token of `Authorization: Bearer <t>` or `Authorization: Token <t>`."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not token.strip():
        raise Unauthorized("send an API token: Authorization: Bearer <token>")
    return token.strip()


async def get_user(
    request: Request,
    context: Context,
    session: Session,
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> User:
    caller = await accounts.authenticate(
        session, context.jwt_secret, token_from(request)
    )
    request.state.user_id = caller.user.id
    request.state.user_name = caller.user.name
    request.state.token_id = caller.token_id
    context.limits.requests.take(f"user:{caller.user.id}")
    return caller.user


CurrentUser = Annotated[User, Depends(get_user)]
