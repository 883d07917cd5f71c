"""The whole service against the real local Slurm cluster, through real SSH.

These tests need `scripts/dev-cluster up` (the Makefile runs it). When a part is
missing they fail, never skip: CI must not pass on a machine without a cluster.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
HPCSIM = ROOT / ".venv" / "bin" / "hpcsim"
FINAL = {"FINISHED", "FAILED", "STOPPED", "TIME_OUT"}
# Every API token and SecToken the tests create, for the log scan that runs last.
CREATED_SECRETS: list[str] = []


def dev_cluster_env() -> dict[str, str]:
    status = subprocess.run(
        [ROOT / "scripts" / "dev-cluster", "status"], capture_output=True, text=True
    )
    if status.returncode != 0:
        pytest.fail(
            "the local Slurm cluster is not up; run `scripts/dev-cluster up` "
            f"(status said: {status.stdout.strip()} {status.stderr.strip()})"
        )
    out = subprocess.run(
        [ROOT / "scripts" / "dev-cluster", "env"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


AUTHORIZED: list[str] = []


@pytest.fixture(scope="session")
def cluster() -> Iterator[dict[str, str]]:
    env = dev_cluster_env()
    yield env
    forget_authorized_keys(env["HPCSIM_DEV_LOGIN"])


def forget_authorized_keys(login: str) -> None:
    """Take the keys these tests authorised off the login, so runs do not pile up."""
    path = Path("/home") / login / ".ssh" / "authorized_keys"
    added = {key.split()[1] for key in AUTHORIZED}
    lines = path.read_text().splitlines(keepends=True)
    kept = [
        line for line in lines if len(line.split()) < 2 or line.split()[1] not in added
    ]
    path.write_text("".join(kept))


@dataclass
class Service:
    base_url: str
    env: dict[str, str]
    log_path: Path
    cluster: dict[str, str]

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [str(HPCSIM), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def log(self) -> str:
        return self.log_path.read_text()

    def execution_folder(self, execution_id: str) -> Path:
        workdir = self.cluster["HPCSIM_DEV_WORKDIR"]
        return Path(workdir) / "hpcsim" / "executions" / execution_id


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def templates_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates") / "templates.git"
    subprocess.run(
        [ROOT / "scripts" / "make-templates-repo", path],
        check=True,
        capture_output=True,
    )
    return path


def service_env(data_dir: Path, templates_repo: Path, **extra: str) -> dict[str, str]:
    """Return the environment of a service process and of its CLI calls."""
    env = {
        **os.environ,
        "HPCSIM_DATA_DIR": str(data_dir),
        "HPCSIM_TEMPLATES_REPO": str(templates_repo),
        "HPCSIM_POLL_INTERVAL": "1",
        "HPCSIM_FAST_POLL_INTERVAL": "0.5",
        "HPCSIM_LOG_LEVEL": "debug",
    }
    env.update(extra)
    return env


@dataclass
class Running:
    """A `hpcsim serve` process started by a test."""

    service: Service
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL the service, as a crash would."""
        self.process.kill()
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def start_service(
    env: dict[str, str], cluster: dict[str, str], log_name: str = "service.log"
) -> Running:
    """Start `hpcsim serve` on a free port and wait until it answers."""
    port = free_port()
    log_path = Path(env["HPCSIM_DATA_DIR"]) / log_name
    with log_path.open("a") as log:
        process = subprocess.Popen(
            [str(HPCSIM), "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    _wait_until_up(base_url, process, log_path)
    return Running(Service(base_url, env, log_path, cluster), process)


@pytest.fixture(scope="session")
def service(
    cluster: dict[str, str],
    templates_repo: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    env = service_env(tmp_path_factory.mktemp("service"), templates_repo)
    running = start_service(env, cluster)
    yield running.service
    running.stop()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"hpcsim serve exited:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"hpcsim serve did not answer:\n{log.read_text()}")


@dataclass
class Account:
    """A user of the service with a token, a machine and an authorised key."""

    name: str
    token: str
    machine: str
    sec_token: str
    client: httpx.Client

    def run(self, **fields: Any) -> str:
        form = {
            "MachineChoice": self.machine,
            "SecToken": self.sec_token,
            "NumNodes": "1",
            "ExecTime": "5",
        }
        form.update({key: str(value) for key, value in fields.items()})
        document = form.pop("document", None)
        files = {"document": ("description.yaml", document)} if document else None
        answer = self.client.post("/simulations/", data=form, files=files)
        assert answer.status_code == 202, answer.text
        execution_id: str = answer.json()["execution_id"]
        return execution_id

    def status(self, execution_id: str) -> dict[str, Any]:
        answer = self.client.get(f"/simulations/execution/{execution_id}/")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def wait_for(
        self, execution_id: str, statuses: set[str], timeout: float = 180
    ) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.status(execution_id)
            if body["Status"] in statuses:
                return body
            if body["Status"] in FINAL:
                pytest.fail(
                    f"execution ended {body['Status']}, wanted {statuses}: {body}"
                )
            time.sleep(0.5)
        pytest.fail(f"execution did not reach {statuses} in {timeout} s: {body}")

    def control(self, execution_id: str, method: str, **params: str) -> httpx.Response:
        fields = {"MachineChoice": self.machine, "SecToken": self.sec_token}
        url = f"/simulations/execution/{execution_id}/"
        return self.client.request(method, url, params=params, data=fields)


def make_account(
    service: Service,
    name: str,
    max_nodes: int = 1,
    checkpoint_lead: int = 60,
    host_key_file: str | None = None,
) -> Account:
    cluster = service.cluster
    service.cli("user", "add", name, "--password-stdin", stdin="password-" + name)
    token = service.cli("token", "create", name).strip()
    service.cli(
        "machine", "add", name, "local",
        "--host", cluster["HPCSIM_DEV_SSH_HOST"],
        "--port", cluster["HPCSIM_DEV_SSH_PORT"],
        "--login", cluster["HPCSIM_DEV_LOGIN"],
        "--workdir", cluster["HPCSIM_DEV_WORKDIR"],
        "--max-nodes", str(max_nodes),
        "--checkpoint-lead", str(checkpoint_lead),
        "--host-key-file", host_key_file or cluster["HPCSIM_DEV_HOST_KEY"],
    )  # fmt: skip
    out = service.cli("key", "create", name, "local")
    values = dict(line.split(": ", 1) for line in out.splitlines() if ": " in line)
    subprocess.run(
        [ROOT / "scripts" / "dev-cluster", "authorize", "-"],
        input=values["public_key"],
        text=True,
        check=True,
        capture_output=True,
    )
    client = httpx.Client(
        base_url=service.base_url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    CREATED_SECRETS.extend([token, values["sec_token"]])
    AUTHORIZED.append(values["public_key"])
    return Account(name, token, "local", values["sec_token"], client)


def client_for(account: Account, service: Service) -> Account:
    """Return the same account talking to another service process."""
    client = httpx.Client(
        base_url=service.base_url,
        headers={"Authorization": f"Bearer {account.token}"},
        timeout=30,
    )
    return Account(
        account.name, account.token, account.machine, account.sec_token, client
    )


def jobs_named(tag: str) -> list[str]:
    """Return the ids of every job with this name that Slurm still knows."""
    out = subprocess.run(
        ["scontrol", "--oneliner", "show", "job"], capture_output=True, text=True
    ).stdout
    return [
        fields["JobId"]
        for fields in (
            dict(p.split("=", 1) for p in line.split() if "=" in p)
            for line in out.splitlines()
        )
        if fields.get("JobName") == tag
    ]


@pytest.fixture(scope="session")
def alice(service: Service) -> Account:
    return make_account(service, "alice", max_nodes=2)


@pytest.fixture(scope="session")
def bob(service: Service) -> Account:
    return make_account(service, "bob")
