"""A ceiling on the size of request bodies, before anything parses them."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hpcsim.api.problems import problem
from hpcsim.errors import TooLarge


class BodyLimit:
    """Answer 413 to a body over the limit, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and not declared.isdigit():
            response = problem(400, "Bad request", "Content-Length is not a number")
            await response(scope, receive, send)
            return
        if declared is not None and int(declared) > self.max_bytes:
            response = problem(
                413,
                "Too large",
                f"the request body must be at most {self.max_bytes} bytes",
            )
            await response(scope, receive, send)
            return
        await self.app(scope, self._counting(receive), send)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise TooLarge(
                    f"the request body must be at most {self.max_bytes} bytes"
                )
            return message

        return counted
