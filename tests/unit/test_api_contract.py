"""The HTTP API as clients use it, old and new, without any cluster behind it.

The app runs in process with its real database and templates repository; the
worker is off, so executions stay as the API left them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
import yaml
from fastapi import FastAPI
from template_repos import TemplatesRepo

from hpcsim import accounts
from hpcsim.api.app import create_app
from hpcsim.security.ssh_keys import generate_key_pair
from hpcsim.settings import Settings
from hpcsim.storage.models import Execution

PROBLEM = "application/problem+json"
HOST_KEY = generate_key_pair("cluster host key").public_openssh


@dataclass(frozen=True)
class Caller:
    """A user with a token, a machine and a key on it."""

    name: str
    token: str
    machine: str
    sec_token: str
    max_nodes: int

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def key_headers(self) -> dict[str, str]:
        return {**self.auth, "MachineChoice": self.machine, "SecToken": self.sec_token}

    def run_fields(self, **changes: str) -> dict[str, str]:
        fields = {
            "MachineChoice": self.machine,
            "SecToken": self.sec_token,
            "NumNodes": "1",
            "ExecTime": "10",
        }
        fields.update(changes)
        return fields


@dataclass(frozen=True)
class Service:
    app: FastAPI
    http: httpx.AsyncClient
    alice: Caller
    bob: Caller
    templates: TemplatesRepo

    async def run(self, caller: Caller, **changes: Any) -> httpx.Response:
        """Start a run as a current client does: a multipart form."""
        document = changes.pop("document", None)
        files = {"document": ("run.yaml", document)} if document else None
        return await self.http.post(
            "/simulations/",
            headers=caller.auth,
            data=caller.run_fields(**changes),
            files=files,
        )

    async def started(self, caller: Caller, **changes: Any) -> str:
        response = await self.run(caller, **changes)
        assert response.status_code == 202, response.text
        execution_id: str = response.json()["execution_id"]
        return execution_id

    async def status(self, caller: Caller, execution_id: str) -> dict[str, Any]:
        response = await self.http.get(
            f"/simulations/execution/{execution_id}/", headers=caller.auth
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def change(
        self, caller: Caller, execution_id: str, action: str, **headers: str
    ) -> httpx.Response:
        return await self.http.put(
            f"/simulations/execution/{execution_id}/",
            params={"status": action},
            headers={**caller.key_headers, **headers},
        )

    def manifest_defaults(self, revision: str, workflow: str) -> dict[str, Any]:
        text = self.templates.show(revision, f"{workflow}/workflow.yaml")
        manifest = yaml.safe_load(text)
        return {name: spec["default"] for name, spec in manifest["parameters"].items()}


async def enrol(app: FastAPI, name: str, max_nodes: int) -> Caller:
    """Create a user with a token, a machine (host key given) and a stored key."""
    context = app.state.context
    async with context.sessions() as session, session.begin():
        user = await accounts.add_user(session, name, f"password-of-{name}")
        token = await accounts.create_token(
            session, context.jwt_secret, user, "unit", days=1
        )
        spec = accounts.MachineSpec(
            name="dev",
            host="127.0.0.1",
            port=2222,
            login=name,
            workdir=f"/home/{name}/hpcsim",
            max_nodes=max_nodes,
            host_keys=HOST_KEY,
        )
        machine = await accounts.add_machine(session, user, spec)
        key = await accounts.store_key(
            session, context.cipher, user, machine, "laptop", generate_key_pair(name)
        )
    return Caller(name, token.token, machine.name, key.sec_token, max_nodes)


async def refuse_server_errors(response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.request.url}: {response.status_code}"


@pytest_asyncio.fixture(scope="module")
async def service(
    tmp_path_factory: pytest.TempPathFactory, templates_repo: TemplatesRepo
) -> AsyncIterator[Service]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path_factory.mktemp("data"),
        database_url="",
        templates_repo=str(templates_repo.path),
        default_workflow="lammps-melt",
    )
    app = create_app(settings, run_worker=False)
    async with app.router.lifespan_context(app):
        alice = await enrol(app, "alice", max_nodes=2)
        bob = await enrol(app, "bob", max_nodes=1)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://hpcsim.test",
            event_hooks={"response": [refuse_server_errors]},
        ) as http:
            yield Service(app, http, alice, bob, templates_repo)


def assert_problem(response: httpx.Response, status: int, field: str | None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["detail"]
    assert body.get("field") == field


# --- running ------------------------------------------------------------------


async def test_multipart_run_is_accepted_and_starts_initializing(
    service: Service,
) -> None:
    response = await service.run(service.alice, Name="first melt")

    assert response.status_code == 202
    execution_id = response.json()["execution_id"]
    status = await service.status(service.alice, execution_id)
    assert status["eID"] == execution_id
    assert status["Status"] == "INITIALIZING"
    assert status["Name"] == "first melt"
    assert status["Attempt"] == 1
    assert status["JobId"] is None


async def test_run_without_branch_or_workflow_uses_the_defaults(
    service: Service,
) -> None:
    execution_id = await service.started(service.alice)

    status = await service.status(service.alice, execution_id)
    assert status["Branch"] == "main"
    assert status["Commit"] == service.templates.main
    assert status["Workflow"] == "lammps-melt"
    assert status["Parameters"] == service.manifest_defaults("main", "lammps-melt")
    assert status["Checkpointing"] is False
    assert status["Autorestart"] is False


async def test_urlencoded_run_is_accepted(service: Service) -> None:
    fields = service.alice.run_fields(
        Workflow="sleep-exit", document="parameters:\n  seconds: 3\n"
    )

    response = await service.http.post(
        "/simulations/", headers=service.alice.auth, data=fields
    )

    assert response.status_code == 202
    status = await service.status(service.alice, response.json()["execution_id"])
    assert status["Workflow"] == "sleep-exit"
    assert status["Parameters"]["seconds"] == 3


async def test_json_run_is_accepted(service: Service) -> None:
    body = {
        **service.alice.run_fields(Workflow="sleep-exit"),
        "NumNodes": 2,
        "Checkpointing": True,
        "document": "parameters:\n  message: from json\n",
    }

    response = await service.http.post(
        "/simulations/", headers=service.alice.auth, json=body
    )

    assert response.status_code == 202
    status = await service.status(service.alice, response.json()["execution_id"])
    assert status["NumNodes"] == 2
    assert status["Checkpointing"] is True
    assert status["Parameters"]["message"] == "from json"


async def test_json_run_uses_the_parameters_object(service: Service) -> None:
    body = {
        **service.alice.run_fields(Workflow="sleep-exit"),
        "parameters": {"seconds": 42},
    }

    response = await service.http.post(
        "/simulations/", headers=service.alice.auth, json=body
    )

    assert response.status_code == 202
    status = await service.status(service.alice, response.json()["execution_id"])
    assert status["Parameters"]["seconds"] == 42


@pytest.mark.parametrize("path", ["/simulations/", "/simulations"])
async def test_run_answers_with_and_without_trailing_slash_without_redirect(
    service: Service, path: str
) -> None:
    response = await service.http.post(
        path, headers=service.alice.auth, data=service.alice.run_fields()
    )

    assert response.status_code == 202
    assert not response.history
    assert "location" not in response.headers


async def test_old_style_client_run_is_stored_as_asked(service: Service) -> None:
    alice = service.alice
    document = b"workflow_type: lammps-melt\nparameters:\n  cells: 4\n"
    headers = {
        "Authorization": f"Token {alice.token}",
        "MachineChoice": alice.machine,
        "SecToken": alice.sec_token,
    }
    form = {
        "numNodes": "2",
        "execTime": "30",
        "branch": "stable",
        "qos": "normal",
        "name_sim": "melt (old client)",
        "checkpoint_flag": "on",
        "auto_restart": "on",
        "project_name": "proj-1",
    }

    response = await service.http.post(
        "/simulations/",
        headers=headers,
        data=form,
        files={"document": ("description.yaml", document)},
    )

    assert response.status_code == 202, response.text
    execution_id = response.json()["execution_id"]
    status = await service.status(alice, execution_id)
    expected = {
        **service.manifest_defaults("stable", "lammps-melt"),
        "cells": 4,
    }
    assert status["Status"] == "INITIALIZING"
    assert status["Branch"] == "stable"
    assert status["Commit"] == service.templates.stable
    assert re.fullmatch(r"[0-9a-f]{40}", status["Commit"])
    assert status["Workflow"] == "lammps-melt"
    assert status["QoS"] == "normal"
    assert status["NumNodes"] == 2
    assert status["Name"] == "melt (old client)"
    assert status["ExecTime"] == "0-00:30:00"
    assert status["Checkpointing"] is True
    assert status["Autorestart"] is True
    assert status["Parameters"] == expected
    async with service.app.state.context.sessions() as session:
        stored = await session.get(Execution, execution_id)
        assert stored is not None
        assert stored.account == "proj-1"
        assert stored.description == document.decode()


async def test_branches_run_their_own_template_versions(service: Service) -> None:
    on_main = await service.started(service.alice, Branch="main")
    on_stable = await service.started(service.alice, Branch="stable")

    main_steps = (await service.status(service.alice, on_main))["Parameters"]["steps"]
    stable = await service.status(service.alice, on_stable)
    assert stable["Parameters"]["steps"] != main_steps
    assert stable["Parameters"] == service.manifest_defaults("stable", "lammps-melt")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ExecTime": "1.5"}, "ExecTime"),
        ({"ExecTime": "0"}, "ExecTime"),
        ({"NumNodes": "0"}, "NumNodes"),
        ({"NumNodes": "1.5"}, "NumNodes"),
        ({"Checkpointing": "maybe"}, "Checkpointing"),
        ({"Autorestart": "perhaps"}, "Autorestart"),
        ({"Branch": "nope"}, "Branch"),
        ({"Branch": "--upload-pack=touch x"}, "Branch"),
        ({"Workflow": "nope"}, "Workflow"),
        ({"Workflow": "../etc"}, "Workflow"),
        ({"QoS": "normal;touch pwned"}, "QoS"),
        ({"Name": "bell\x07"}, "Name"),
        ({"MachineChoice": ""}, "MachineChoice"),
        ({"ExecTime": ""}, "ExecTime"),
        ({"document": b"parameters:\n  nope: 1\n"}, "parameters.nope"),
        ({"document": b"parameters:\n  steps: -1\n"}, "parameters.steps"),
        ({"document": b"- not\n- a mapping\n"}, "document"),
        ({"document": b"x: !!python/name:os.system\n"}, "document"),
    ],
)
async def test_each_bad_field_is_a_problem_naming_it(
    service: Service, changes: dict[str, Any], field: str
) -> None:
    response = await service.run(service.alice, **changes)

    assert_problem(response, 422, field)
    assert response.json()["errors"][0]["field"] == field


async def test_more_nodes_than_the_machine_allows_is_a_problem(
    service: Service,
) -> None:
    alice = service.alice

    response = await service.run(alice, NumNodes=str(alice.max_nodes + 1))

    assert_problem(response, 422, "NumNodes")
    assert str(alice.max_nodes) in response.json()["detail"]


async def test_run_on_an_unknown_machine_is_not_found(service: Service) -> None:
    response = await service.run(service.alice, MachineChoice="nope")

    assert_problem(response, 404, "MachineChoice")


async def test_run_with_another_users_sec_token_is_not_found(service: Service) -> None:
    response = await service.run(service.alice, SecToken=service.bob.sec_token)

    assert_problem(response, 404, "SecToken")


async def test_too_large_document_is_refused(service: Service) -> None:
    limit = service.app.state.context.settings.max_upload_bytes

    response = await service.run(service.alice, document=b"#" * (limit + 1))

    assert_problem(response, 413, "document")


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2]"),
        ("multipart/form-data; boundary=zzz", b"garbage"),
    ],
)
async def test_unreadable_bodies_are_client_errors(
    service: Service, content_type: str, body: bytes
) -> None:
    response = await service.http.post(
        "/simulations/",
        headers={**service.alice.auth, "Content-Type": content_type},
        content=body,
    )

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"].startswith(PROBLEM)


# --- authentication -----------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer garbage", "Token a.b.c", "Basic YWxpY2U6cHc="],
)
async def test_calls_without_a_valid_token_are_unauthorized(
    service: Service, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}

    for response in (
        await service.http.post(
            "/simulations/", headers=headers, data=service.alice.run_fields()
        ),
        await service.http.get("/simulations/", headers=headers),
    ):
        assert_problem(response, 401, None)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_revoked_token_is_unauthorized(service: Service) -> None:
    context = service.app.state.context
    async with context.sessions() as session, session.begin():
        user = await accounts.login(session, "alice", "password-of-alice")
        token = await accounts.create_token(
            session, context.jwt_secret, user, "short-lived", days=1
        )
    headers = {"Authorization": f"Bearer {token.token}"}
    assert (await service.http.get("/simulations/", headers=headers)).status_code == 200

    async with context.sessions() as session, session.begin():
        user = await accounts.login(session, "alice", "password-of-alice")
        await accounts.revoke_token(session, user, token.record.id)

    assert_problem(await service.http.get("/simulations/", headers=headers), 401, None)


# --- another user's executions ------------------------------------------------


async def test_another_users_execution_is_not_found_for_any_action(
    service: Service,
) -> None:
    execution_id = await service.started(service.alice)
    path = f"/simulations/execution/{execution_id}/"
    bob = service.bob

    assert_problem(await service.http.get(path, headers=bob.auth), 404, None)
    assert_problem(await service.change(bob, execution_id, "stop"), 404, None)
    assert_problem(await service.change(bob, execution_id, "restart"), 404, None)
    assert_problem(await service.http.delete(path, headers=bob.key_headers), 404, None)
    status = await service.status(service.alice, execution_id)
    assert status["Status"] == "INITIALIZING"


async def test_listing_shows_only_the_callers_executions(service: Service) -> None:
    mine = await service.started(service.bob, Name="bob's own")

    listed = await service.http.get("/simulations", headers=service.bob.auth)

    assert listed.status_code == 200
    assert mine in {item["eID"] for item in listed.json()}
    assert {item["User"] for item in listed.json()} == {"bob"}


async def test_stop_with_another_users_sec_token_is_not_found(
    service: Service,
) -> None:
    execution_id = await service.started(service.alice)

    response = await service.change(
        service.alice, execution_id, "stop", SecToken=service.bob.sec_token
    )

    assert_problem(response, 404, "SecToken")


# --- stop, restart, delete ----------------------------------------------------


async def test_stop_before_submission_stops_at_once(service: Service) -> None:
    execution_id = await service.started(service.alice)

    response = await service.change(service.alice, execution_id, "stop")

    assert response.status_code == 202
    assert response.json()["message"]
    status = await service.status(service.alice, execution_id)
    assert status["Status"] == "STOPPED"
    assert status["Reason"]


async def test_stop_of_a_stopped_execution_says_it_had_ended(service: Service) -> None:
    execution_id = await service.started(service.alice)
    await service.change(service.alice, execution_id, "stop")

    response = await service.change(service.alice, execution_id, "stop")

    assert response.status_code == 202
    assert "STOPPED" in response.json()["message"]


async def test_restart_of_a_stopped_execution_is_a_new_attempt(
    service: Service,
) -> None:
    execution_id = await service.started(service.alice)
    await service.change(service.alice, execution_id, "stop")

    response = await service.change(service.alice, execution_id, "restart")

    assert response.status_code == 202
    assert response.json()["execution_id"] == execution_id
    status = await service.status(service.alice, execution_id)
    assert status["Status"] == "INITIALIZING"
    assert status["Attempt"] == 2
    assert [a["Attempt"] for a in status["Attempts"]] == [1, 2]


async def test_restart_of_an_initializing_execution_is_a_conflict(
    service: Service,
) -> None:
    execution_id = await service.started(service.alice)

    response = await service.change(service.alice, execution_id, "restart")

    assert_problem(response, 409, None)
    assert (await service.status(service.alice, execution_id))["Attempt"] == 1


@pytest.mark.parametrize("action", ["bogus", "STOP", ""])
async def test_unknown_action_is_a_problem_naming_status(
    service: Service, action: str
) -> None:
    execution_id = await service.started(service.alice)

    response = await service.change(service.alice, execution_id, action)

    assert_problem(response, 422, "status")


async def test_deleted_execution_is_gone(service: Service) -> None:
    execution_id = await service.started(service.alice)
    path = f"/simulations/execution/{execution_id}/"

    response = await service.http.delete(path, headers=service.alice.key_headers)

    assert response.status_code == 200
    assert response.json()["message"]
    assert_problem(await service.http.get(path, headers=service.alice.auth), 404, None)
    listed = await service.http.get("/simulations/", headers=service.alice.auth)
    assert execution_id not in {item["eID"] for item in listed.json()}


@pytest.mark.parametrize("missing", ["MachineChoice", "SecToken"])
async def test_stop_and_delete_need_machine_and_key(
    service: Service, missing: str
) -> None:
    execution_id = await service.started(service.alice)
    path = f"/simulations/execution/{execution_id}/"
    headers = dict(service.alice.key_headers)
    del headers[missing]

    stop = await service.http.put(path, params={"status": "stop"}, headers=headers)
    delete = await service.http.delete(path, headers=headers)

    assert_problem(stop, 422, missing)
    assert_problem(delete, 422, missing)
    status = await service.status(service.alice, execution_id)
    assert status["Status"] == "INITIALIZING"


async def test_machine_and_key_may_come_as_form_fields(service: Service) -> None:
    execution_id = await service.started(service.alice)
    alice = service.alice

    response = await service.http.put(
        f"/simulations/execution/{execution_id}",
        params={"status": "stop"},
        headers=alice.auth,
        data={"machine_choice": alice.machine, "sec_token": alice.sec_token},
    )

    assert response.status_code == 202
    assert (await service.status(alice, execution_id))["Status"] == "STOPPED"


async def test_unknown_execution_is_not_found(service: Service) -> None:
    response = await service.http.get(
        "/simulations/execution/0123456789abcdef0123456789abcdef",
        headers=service.alice.auth,
    )

    assert_problem(response, 404, None)


# --- the published contract ---------------------------------------------------


async def test_openapi_documents_the_multipart_run_form(service: Service) -> None:
    response = await service.http.get("/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    run = schema["paths"]["/simulations/"]["post"]
    form = run["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"MachineChoice", "SecToken", "NumNodes", "ExecTime"} <= set(
        form["required"]
    )
    for field in ("Branch", "Workflow", "QoS", "Checkpointing", "Autorestart"):
        assert form["properties"][field]["description"]
    assert form["properties"]["document"]["format"] == "binary"
    assert "202" in run["responses"]
    assert "422" in run["responses"]
    assert "/simulations" not in schema["paths"]


async def test_a_body_over_the_request_limit_is_refused_unread(
    service: Service,
) -> None:
    big = b"x" * 2_100_000
    response = await service.http.post(
        "/simulations/",
        content=big,
        headers={**service.alice.auth, "content-type": "application/octet-stream"},
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_a_streamed_body_over_the_limit_is_refused(service: Service) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(30):
            yield b"y" * 100_000

    response = await service.http.post(
        "/simulations/",
        content=chunks(),
        headers={**service.alice.auth, "content-type": "application/json"},
    )

    assert_problem(response, 413, None)
