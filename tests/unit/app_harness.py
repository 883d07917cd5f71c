"""The service in-process, without its worker, for tests of the HTTP layer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from hpcsim import accounts
from hpcsim.api.app import create_app
from hpcsim.settings import Settings


@asynccontextmanager
async def running_app(
    data_dir: Path,
    templates: Path,
    users: dict[str, bool],
    **settings: Any,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """Start the app with users (name: is admin), whose password is
    `password-of-<name>`, and give it with a client talking to it."""
    config = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=data_dir,
        templates_repo=str(templates),
        **settings,
    )
    app = create_app(config, run_worker=False)
    async with app.router.lifespan_context(app):
        async with app.state.context.sessions() as session, session.begin():
            for name, admin in users.items():
                await accounts.add_user(
                    session, name, f"password-of-{name}", admin=admin
                )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            yield app, http
