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

import httpx
import hypothesis
import pytest
import pytest_asyncio
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis import checks
from template_repos import TemplatesRepo

from hpcsim import accounts
from hpcsim.api.app import create_app
from hpcsim.security.ssh_keys import generate_key_pair
from hpcsim.settings import Settings

PASSWORD = "password-of-alice"
HOST_KEY = generate_key_pair("cluster host key")

# Every answer must pass these; the data-acceptance checks are left out because
# the schema cannot express what the service validates (names, time limits).
CONTRACT = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]

FUZZING = hypothesis.settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# How a fuzzed call introduces itself; `Token` is the older clients' spelling.
AUTHORIZATIONS = ("Bearer", "Token", None)


@dataclass(frozen=True)
class Caller:
    """A user with a token, a machine, a key on it and one execution."""

    name: str
    token: str
    token_id: int
    machine: str
    sec_token: str
    execution_id: str

    def authorization(self, security: list[dict[str, Any]], scheme: str) -> str:
        """Return an Authorization header for an operation's security scheme."""
        if any("HTTPBasic" in requirement for requirement in security):
            pair = f"{self.name}:{PASSWORD}".encode()
            return f"Basic {base64.b64encode(pair).decode()}"
        return f"{scheme} {self.token}"


@dataclass(frozen=True)
class Service:
    app: FastAPI
    alice: Caller


async def enrol(app: FastAPI, name: str) -> Caller:
    """Create a user with a token, a machine (host key given) and a stored key."""
    context = app.state.context
    async with context.sessions() as session, session.begin():
        user = await accounts.add_user(session, name, PASSWORD)
        token = await accounts.create_token(
            session, context.jwt_secret, user, "unit", days=1
        )
        spec = accounts.MachineSpec(
            name="dev",
            host="127.0.0.1",
            port=2222,
            login=name,
            workdir=f"/home/{name}/hpcsim",
            max_nodes=2,
            host_keys=HOST_KEY.public_openssh,
        )
        machine = await accounts.add_machine(session, user, spec)
        key = await accounts.store_key(
            session, context.cipher, user, machine, "laptop", generate_key_pair(name)
        )
    execution_id = await start_run(app, token.token, machine.name, key.sec_token)
    return Caller(
        name, token.token, token.record.id, machine.name, key.sec_token, execution_id
    )


async def start_run(app: FastAPI, token: str, machine: str, sec_token: str) -> str:
    """Start one run, so that the execution paths have something to find."""
    fields = {
        "MachineChoice": machine,
        "SecToken": sec_token,
        "NumNodes": "1",
        "ExecTime": "10",
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://hpcsim.test"
    ) as http:
        response = await http.post(
            "/simulations/", headers={"Authorization": f"Bearer {token}"}, data=fields
        )
    assert response.status_code == 202, response.text
    execution_id: str = response.json()["execution_id"]
    return execution_id


async def reachable_host_key(host: str, port: int) -> Any:
    """Stand in for reading a host key over the network: every host answers."""
    return HOST_KEY.public_key


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """Keep machine registration off the network: no host key is fetched."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "fetch_host_key", reachable_host_key)
        yield


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
        # Rate limits refill with the clock; with them on, which call gets a 429
        # would depend on how fast the machine runs, and CI must be reproducible.
        rate_login_per_minute=0,
        rate_requests_per_minute=0,
        rate_submissions_per_minute=0,
    )
    app = create_app(settings, run_worker=False)
    # Schemathesis runs the lifespan again for its own calls, on its own event
    # loop; what is enrolled here stays in the SQLite file of data_dir.
    async with app.router.lifespan_context(app):
        alice = await enrol(app, "alice")
    yield Service(app, alice)


@pytest.fixture(scope="module")
def api_schema(service: Service, offline: None) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", service.app)


def published_operations() -> list[str]:
    """Return "METHOD /path" of each operation the schema publishes."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=Path("unused"),
        templates_repo="unused",
    )
    paths = create_app(settings, run_worker=False).openapi()["paths"]
    return [
        f"{method.upper()} {path}" for path, item in paths.items() for method in item
    ]


@pytest.mark.parametrize("operation", published_operations())
def test_every_answer_keeps_to_the_published_contract(
    api_schema: Any, service: Service, operation: str
) -> None:
    method, path = operation.split(" ", 1)
    api_operation = api_schema[path][method]
    cases = st.one_of(
        api_operation.as_strategy(mode) for mode in schemathesis.GenerationMode
    )
    alice = service.alice

    @FUZZING
    @hypothesis.given(
        case=cases, scheme=st.sampled_from(AUTHORIZATIONS), aimed=st.booleans()
    )
    def call(case: Any, scheme: str | None, aimed: bool) -> None:
        headers: dict[str, str] = {}
        if scheme is not None:
            security = case.operation.definition.raw.get("security", [])
            headers["Authorization"] = alice.authorization(security, scheme)
        if aimed:
            # Point the call at alice's own things, so that it gets past "not found".
            headers.update(
                {"MachineChoice": alice.machine, "SecToken": alice.sec_token}
            )
            if "execution_id" in case.path_parameters:
                case.path_parameters["execution_id"] = alice.execution_id
            if "name" in case.path_parameters:
                case.path_parameters["name"] = alice.machine
        # Revoking the token the fuzz runs with would turn every later call into a 401.
        hypothesis.assume(case.path_parameters.get("token_id") != alice.token_id)

        case.call_and_validate(headers=headers, checks=CONTRACT)

    call()
