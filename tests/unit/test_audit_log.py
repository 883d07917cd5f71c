"""The audit log keeps who did what, with which token, from where, and how."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest_asyncio
from app_harness import running_app
from template_repos import TemplatesRepo


@pytest_asyncio.fixture
async def http(
    tmp_path: Path, templates_repo: TemplatesRepo
) -> AsyncIterator[httpx.AsyncClient]:
    users = {"root": True, "ada": False}
    async with running_app(tmp_path, templates_repo.path, users) as (_, client):
        yield client


async def token(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    created = await http.post(
        "/api/tokens", json={}, auth=(name, f"password-of-{name}")
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


async def test_changes_and_refusals_are_recorded_and_admins_read_them(
    http: httpx.AsyncClient,
) -> None:
    ada = await token(http, "ada")
    await http.post("/simulations/", headers=ada, data={"NumNodes": "1"})
    await http.get("/simulations/execution/nope/", headers=ada)
    await http.get("/simulations/", headers={"Authorization": "Bearer forged"})
    admin = await token(http, "root")

    refused = await http.get("/api/admin/audit", headers=ada)
    answer = await http.get("/api/admin/audit", headers=admin)

    assert refused.status_code == 403
    assert answer.status_code == 200
    events = answer.json()
    run = next(e for e in events if e["action"] == "run_simulation")
    assert run["user_name"] == "ada" and run["status"] == 422
    assert run["token_id"] is not None and run["address"]
    missing = next(e for e in events if e["action"] == "get_simulation")
    assert missing["status"] == 404 and missing["target"] == "execution_id=nope"
    assert any(e["status"] == 401 and e["user_name"] is None for e in events)
    assert any(e["action"] == "create_token" and e["status"] == 201 for e in events)


async def test_the_audit_log_can_be_filtered_by_user(http: httpx.AsyncClient) -> None:
    await token(http, "ada")
    admin = await token(http, "root")

    answer = await http.get("/api/admin/audit?user_name=ada", headers=admin)

    assert answer.status_code == 200
    assert {e["user_name"] for e in answer.json()} == {"ada"}
