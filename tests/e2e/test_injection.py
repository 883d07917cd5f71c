"""Hostile values reach the real cluster only as data, never as commands.

A workflow of the test's own takes any one-line text and writes it to a file.
Each hostile value must arrive in that file byte for byte, and the marker files
it tries to create must not exist. Values that no field allows get 422.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import (
    ROOT,
    Account,
    Service,
    make_account,
    service_env,
    start_service,
)

ECHO_MANIFEST = """\
name: echo-text
description: Writes its text parameter to text.out.
parameters:
  text:
    type: string
    default: hello
    max_length: 300
"""
ECHO_TEMPLATE = "printf '%s' {{ params.text }} > text.out\n"

HOSTILE = [
    "$(touch pwned-dollar)",
    "`touch pwned-backquote`",
    "a; touch pwned-semicolon",
    "a | touch pwned-pipe",
    "a && touch pwned-and",
    "' ; touch pwned-quote ; '",
    '" ; touch pwned-dquote ; "',
    "--help",
    "../../../../etc/passwd",
    "ünïcödé ✓ 日本",
    "x" * 300,
]


@pytest.fixture(scope="module")
def echo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("echo")
    source = work / "src"
    shutil.copytree(ROOT / "examples" / "templates", source)
    (source / "echo-text").mkdir()
    (source / "echo-text" / "workflow.yaml").write_text(ECHO_MANIFEST)
    (source / "echo-text" / "run.sh.j2").write_text(ECHO_TEMPLATE)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(source)]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "echo"], check=True)
    return source


def test_hostile_parameter_values_arrive_as_data(
    echo_repo: Path, tmp_path: Path, cluster: dict[str, str]
) -> None:
    running = start_service(service_env(tmp_path, echo_repo), cluster)
    try:
        account = make_account(running.service, "mallory")
        runs = {}
        for value in HOSTILE:
            quoted = value.replace("'", "''")
            document = f"workflow_type: echo-text\nparameters:\n  text: '{quoted}'\n"
            runs[value] = account.run(Name=value[:100], document=document)

        for value, execution_id in runs.items():
            body = account.wait_for(execution_id, {"FINISHED"})
            folder = running.service.execution_folder(execution_id)
            assert (folder / "text.out").read_text() == value
            assert not list(folder.glob("pwned*")), value
            assert body["Name"] == value[:100]
    finally:
        running.stop()
    workdir = Path(cluster["HPCSIM_DEV_WORKDIR"])
    assert not list(workdir.rglob("pwned*"))


@pytest.fixture(scope="module")
def eve(service: Service) -> Account:
    return make_account(service, "eve")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("QoS", "normal;touch pwned"),
        ("QoS", "--exclusive"),
        ("Account", "$(id)"),
        ("Branch", "--upload-pack=touch pwned"),
        ("Branch", "../../etc"),
        ("Workflow", "../sleep-exit"),
        ("Name", "line\nbreak"),
        ("Name", "nul\x00byte"),
        ("ExecTime", "10; touch pwned"),
        ("NumNodes", "1 --exclusive"),
    ],
)
def test_values_no_field_allows_are_refused_naming_the_field(
    field: str, value: str, eve: Account
) -> None:
    account = eve
    form = {
        "MachineChoice": account.machine,
        "SecToken": account.sec_token,
        "NumNodes": "1",
        "ExecTime": "5",
        field: value,
    }

    answer = account.client.post("/simulations/", data=form)

    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field
