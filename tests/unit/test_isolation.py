"""No user reads or touches another user's tokens, machines or keys: 404 always."""

from __future__ import annotations

from pathlib import Path

import httpx
from app_harness import running_app
from template_repos import TemplatesRepo

from hpcsim.security.ssh_keys import generate_key_pair

HOST_KEY = generate_key_pair("host").public_openssh


async def token(http: httpx.AsyncClient, name: str) -> dict[str, str]:
    created = await http.post(
        "/api/tokens", json={}, auth=(name, f"password-of-{name}")
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


async def test_accounts_of_one_user_are_invisible_and_untouchable_to_another(
    tmp_path: Path, templates_repo: TemplatesRepo
) -> None:
    users = {"ada": False, "bob": False}
    async with running_app(tmp_path, templates_repo.path, users) as (_, http):
        ada, bob = await token(http, "ada"), await token(http, "bob")
        machine = {
            "name": "m",
            "host": "127.0.0.1",
            "login": "ada",
            "workdir": "/scratch/ada",
            "host_keys": HOST_KEY,
        }
        assert (
            await http.post("/api/machines", json=machine, headers=ada)
        ).status_code == 201
        key = await http.post(
            "/api/machines/m/keys", headers=ada, data={"key_name": "k"}
        )
        assert key.status_code == 201, key.text
        key_id = key.json()["id"]
        ada_token_id = (await http.get("/api/tokens", headers=ada)).json()[0]["id"]

        for path in ("/api/machines", "/api/keys"):
            assert (await http.get(path, headers=bob)).json() == []
        assert len((await http.get("/api/tokens", headers=bob)).json()) == 1
        refused = [
            await http.post(
                "/api/machines/m/keys", headers=bob, data={"key_name": "x"}
            ),
            await http.delete(f"/api/keys/{key_id}", headers=bob),
            await http.delete(f"/api/tokens/{ada_token_id}", headers=bob),
            await http.delete("/api/machines/m", headers=bob),
        ]

        assert [answer.status_code for answer in refused] == [404, 404, 404, 404]
        assert len((await http.get("/api/keys", headers=ada)).json()) == 1
        assert len((await http.get("/api/machines", headers=ada)).json()) == 1
        assert (await http.get("/simulations/", headers=ada)).status_code == 200
