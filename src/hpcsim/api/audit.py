"""The audit log: every call that changes something, and every refused one.

A middleware writes one row per call after the answer is known, in its own
transaction, so a failed call is recorded too. The route's dependencies leave
the caller on `request.state`; the action is the route's name.
"""

from __future__ import annotations

import logging

from fastapi import Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hpcsim.storage.db import transaction
from hpcsim.storage.models import AuditEvent

logger = logging.getLogger(__name__)

CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
TARGET_PARAMETERS = ("execution_id", "name", "token_id", "key_id")


def should_record(request: Request, status: int) -> bool:
    """Record changes, and refusals of any call (401, 404, 429, ...)."""
    return request.method in CHANGING or status in {401, 403, 404, 429}


class AuditMiddleware:
    """Answer the call, then keep it in the audit log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            request = Request(scope)
            if should_record(request, status):
                await _record(request, status)


async def _record(request: Request, status: int) -> None:
    context = getattr(request.app.state, "context", None)
    if context is None:
        return
    route = request.scope.get("route")
    action = getattr(route, "name", None) or f"{request.method} {request.url.path}"
    target = getattr(request.state, "audit_target", None) or _target(request)
    event = AuditEvent(
        user_id=getattr(request.state, "user_id", None),
        user_name=getattr(request.state, "user_name", None),
        token_id=getattr(request.state, "token_id", None),
        action=str(action)[:100],
        target=target[:200] if target else None,
        address=request.client.host if request.client else None,
        status=status,
    )
    try:
        async with transaction(context.sessions) as session:
            session.add(event)
    except SQLAlchemyError:
        logger.exception("audit: cannot record %s by %s", action, event.user_name)


def _target(request: Request) -> str | None:
    parameters = request.scope.get("path_params") or {}
    for name in TARGET_PARAMETERS:
        if name in parameters:
            return f"{name}={parameters[name]}"
    return None
