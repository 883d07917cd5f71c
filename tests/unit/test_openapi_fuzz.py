"""The published OpenAPI contract, fuzzed in process on every operation.

Schemathesis generates calls, valid and invalid, from the service's own schema
and checks each answer: never a server error, only documented status codes,
and bodies of the documented type and shape. The calls reach the app over ASGI,
with the worker off: nothing touches the network, SSH or a cluster.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
import httpx
import hypothesis
import pytest
import pytest_asyncio
import schemathesis
from app_harness import running_app
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import checks
from template_repos import TemplatesRepo

from hpcsim import accounts
from hpcsim.api.app import create_app
from hpcsim.security.ssh_keys import generate_key_pair
from hpcsim.settings import Settings

HOST_KEY = generate_key_pair("cluster host key")

# What every answer must pass. The data-acceptance checks are left out: the
# schema cannot say what the service refuses (names, time limits, YAML).
CONTRACT = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

# Small enough for CI on every submission; the same calls on every run.
FUZZING = hypothesis.settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Caller:
    """A user with a token, a machine, a key on it and one execution."""

    name: str
    password: str
    token: str
    token_id: int
    machine: str
    sec_token: str
    execution_id: str

    def authorization(self, case: schemathesis.Case, scheme: str) -> dict[str, str]:
        """Return the credentials the operation's security scheme asks for."""
        security = case.operation.definition.raw.get("security", [])
        if any("HTTPBasic" in requirement for requirement in security):
            pair = base64.b64encode(f"{self.name}:{self.password}".encode())
            return {"Authorization": f"Basic {pair.decode()}"}
        return {"Authorization": f"{scheme} {self.token}"}


@dataclass(frozen=True)
class Service:
    app: FastAPI
    callers: dict[str, Caller]


def created(response: httpx.Response) -> dict[str, Any]:
    """Return the body of an answer that created something."""
    assert response.status_code in (201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


async def enrol(http: httpx.AsyncClient, name: str) -> Caller:
    """Give a user a token, a machine (host key given), a key and a run."""
    password = f"password-of-{name}"
    token = created(
        await http.post("/api/tokens", json={"name": "fuzz"}, auth=(name, password))
    )
    auth = {"Authorization": f"Bearer {token['token']}"}
    machine = {
        "name": "dev",
        "host": "127.0.0.1",
        "port": 2222,
        "login": name,
        "workdir": f"/home/{name}/hpcsim",
        "max_nodes": 2,
        "host_keys": HOST_KEY.public_openssh,
    }
    created(await http.post("/api/machines", json=machine, headers=auth))
    key = created(
        await http.post("/api/machines/dev/keys", data={"key_name": "k"}, headers=auth)
    )
    run = {
        "MachineChoice": "dev",
        "SecToken": key["sec_token"],
        "NumNodes": "1",
        "ExecTime": "10",
    }
    execution = created(await http.post("/simulations/", data=run, headers=auth))
    return Caller(
        name,
        password,
        token["token"],
        token["id"],
        "dev",
        key["sec_token"],
        execution["execution_id"],
    )


async def reachable_host_key(host: str, port: int) -> asyncssh.SSHKey:
    """Stand in for reading a host key over the network: every host answers."""
    return asyncssh.import_public_key(HOST_KEY.public_openssh)


def targets_token(case: schemathesis.Case, token_ids: set[int]) -> bool:
    """Tell whether a call names one of these tokens in its path."""
    value = case.path_parameters.get("token_id")
    try:
        return int(str(value)) in token_ids
    except ValueError:
        return False


def aim(case: schemathesis.Case, caller: Caller) -> dict[str, str]:
    """Point a call at the caller's own things, so that it gets past 404s."""
    if "execution_id" in case.path_parameters:
        case.path_parameters["execution_id"] = caller.execution_id
    if "name" in case.path_parameters:
        case.path_parameters["name"] = caller.machine
    return {"MachineChoice": caller.machine, "SecToken": caller.sec_token}


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """Keep machine registration off the network: no host key is fetched."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "fetch_host_key", reachable_host_key)
        yield


@pytest_asyncio.fixture(scope="module")
async def service(
    tmp_path_factory: pytest.TempPathFactory,
    templates_repo: TemplatesRepo,
    offline: None,
) -> AsyncIterator[Service]:
    # The limits refill with the clock: which call got a 429 would depend on
    # the speed of the machine, and CI must see the same answers every time.
    unlimited = {
        "rate_login_per_minute": 0,
        "rate_requests_per_minute": 0,
        "rate_submissions_per_minute": 0,
    }
    async with running_app(
        tmp_path_factory.mktemp("data"),
        templates_repo.path,
        {"alice": False, "root": True},
        database_url="",
        default_workflow="lammps-melt",
        **unlimited,
    ) as (app, http):
        callers = {name: await enrol(http, name) for name in ("alice", "root")}
    # Schemathesis runs the lifespan again for its own calls, on its own event
    # loop; what was enrolled here stays in the SQLite file in data_dir.
    yield Service(app, callers)


@pytest.fixture(scope="module")
def api_schema(service: Service) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_asgi("/openapi.json", service.app)
    # Who calls is drawn below; Schemathesis must not send credentials of its own.
    schema.config.generation.update(with_security_parameters=False)
    return schema


def fuzzed_calls(
    target: schemathesis.APIOperation,
) -> st.SearchStrategy[schemathesis.Case]:
    """Return valid calls of an operation and, when it takes input, invalid ones."""
    modes = [schemathesis.GenerationMode.POSITIVE]
    if target.body or any(True for _ in target.iter_parameters()):
        modes.append(schemathesis.GenerationMode.NEGATIVE)
    return st.one_of([target.as_strategy(mode) for mode in modes])


def published_operations() -> list[str]:
    """Return "METHOD /path" of every operation in the schema."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=Path("unused"),
        templates_repo="unused",
    )
    paths = create_app(settings, run_worker=False).openapi()["paths"]
    return [
        f"{method.upper()} {path}" for path, item in paths.items() for method in item
    ]


# `schemathesis.pytest.from_fixture` would build these tests, but it reads a
# private attribute of pytest items (`_nodeid`) that pytest 9 no longer has; one
# Hypothesis test per operation, built from the operation's strategy, does it.
@pytest.mark.parametrize("operation", published_operations())
def test_every_answer_keeps_to_the_published_contract(
    api_schema: schemathesis.BaseSchema, service: Service, operation: str
) -> None:
    method, path = operation.split(" ", 1)
    cases = fuzzed_calls(api_schema[path][method])
    in_use = {caller.token_id for caller in service.callers.values()}

    @FUZZING
    @hypothesis.given(
        case=cases,
        who=st.sampled_from([*service.callers, None]),
        scheme=st.sampled_from(["Bearer", "Token"]),
        aimed=st.booleans(),
    )
    def call(
        case: schemathesis.Case, who: str | None, scheme: str, aimed: bool
    ) -> None:
        # Revoking a token the fuzz runs with would make every later call a 401.
        hypothesis.assume(not targets_token(case, in_use))
        headers: dict[str, str] = {}
        if who is not None:
            caller = service.callers[who]
            headers.update(caller.authorization(case, scheme))
            if aimed:
                headers.update(aim(case, caller))

        case.call_and_validate(headers=headers, checks=CONTRACT)

    call()


# Found by the fuzz: ids past SQLite's 64-bit integers. Fifty examples rarely
# draw one, so the real input is replayed on every run.
@pytest.mark.parametrize(
    ("path", "name"),
    [("/api/tokens/{token_id}", "token_id"), ("/api/keys/{key_id}", "key_id")],
)
def test_an_id_past_64_bits_is_refused_not_a_server_error(
    api_schema: schemathesis.BaseSchema, service: Service, path: str, name: str
) -> None:
    alice = service.callers["alice"]
    case = api_schema[path]["DELETE"].Case(path_parameters={name: 2**63})

    case.call_and_validate(
        headers={"Authorization": f"Bearer {alice.token}"}, checks=CONTRACT
    )
