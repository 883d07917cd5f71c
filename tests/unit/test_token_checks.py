"""API tokens through the HTTP layer: every bad one is a 401, never a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest_asyncio
from app_harness import running_app
from sqlalchemy import select
from template_repos import TemplatesRepo

from hpcsim import accounts
from hpcsim.storage.models import ApiToken


@dataclass
class Api:
    http: httpx.AsyncClient
    app: object

    async def token(self, name: str) -> str:
        answer = await self.http.post(
            "/api/tokens", json={}, auth=(name, f"password-of-{name}")
        )
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["token"]
        return token

    async def call(self, token: str) -> int:
        headers = {"Authorization": f"Bearer {token}"}
        return (await self.http.get("/simulations/", headers=headers)).status_code


@pytest_asyncio.fixture
async def api(tmp_path: Path, templates_repo: TemplatesRepo) -> AsyncIterator[Api]:
    users = {"ada": False, "bob": False}
    async with running_app(tmp_path, templates_repo.path, users) as (app, http):
        yield Api(http, app)


async def test_a_disabled_users_token_stops_working(api: Api) -> None:
    token = await api.token("ada")
    assert await api.call(token) == 200

    async with api.app.state.context.sessions() as session, session.begin():  # type: ignore[attr-defined]
        await accounts.set_active(session, "ada", False)

    assert await api.call(token) == 401


async def test_a_deleted_users_token_stops_working(api: Api) -> None:
    token = await api.token("bob")

    async with api.app.state.context.sessions() as session, session.begin():  # type: ignore[attr-defined]
        await accounts.delete_user(session, "bob")

    assert await api.call(token) == 401


async def test_a_token_sharing_its_first_72_bytes_with_a_valid_one_is_refused(
    api: Api,
) -> None:
    token = await api.token("ada")
    head, signature = token[:72], token[72:]
    forged = head + ("A" if signature[0] != "A" else "B") + signature[1:]

    assert forged[:72] == token[:72] and forged != token
    assert await api.call(forged) == 401
    assert await api.call(token + "x") == 401


async def test_each_tokens_last_use_is_recorded(api: Api) -> None:
    token = await api.token("ada")

    assert await api.call(token) == 200

    async with api.app.state.context.sessions() as session:  # type: ignore[attr-defined]
        record = (await session.scalars(select(ApiToken))).one()
        assert record.last_used_at is not None
