"""A cluster that presents another host key than the recorded one is refused."""

from __future__ import annotations

from pathlib import Path

from hpcsim.security.ssh_keys import generate_key_pair
from tests.e2e.conftest import Service, make_account


def test_a_changed_host_key_fails_the_submission_naming_host_port_and_key(
    service: Service, tmp_path: Path
) -> None:
    impostor = tmp_path / "recorded.pub"
    impostor.write_text(generate_key_pair("not-the-cluster").public_openssh + "\n")
    account = make_account(service, "wary", host_key_file=str(impostor))

    execution_id = account.run(document="workflow_type: sleep-exit\n")
    body = account.wait_for(execution_id, {"FAILED"}, timeout=60)

    host, port = (
        service.cluster["HPCSIM_DEV_SSH_HOST"],
        service.cluster["HPCSIM_DEV_SSH_PORT"],
    )
    assert f"{host}:{port}" in body["Reason"]
    assert "host key" in body["Reason"] and "SHA256:" in body["Reason"]
    assert body["JobId"] is None
