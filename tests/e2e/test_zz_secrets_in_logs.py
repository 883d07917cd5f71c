"""Runs after the other end-to-end tests: no secret they made is in any log."""

from __future__ import annotations

import pytest

from hpcsim.settings import DEV_JWT_SECRET, DEV_KEK
from tests.e2e.conftest import CREATED_SECRETS


def test_no_token_sectoken_or_private_key_appears_in_a_service_log(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    logs = list(tmp_path_factory.getbasetemp().rglob("*.log"))
    assert logs, "the other end-to-end tests left no service logs to search"
    assert len(CREATED_SECRETS) >= 4, "the other end-to-end tests made no secrets"

    for log in logs:
        text = log.read_text(errors="replace")
        assert "PRIVATE KEY" not in text, log
        assert DEV_JWT_SECRET not in text and DEV_KEK not in text, log
        for secret in CREATED_SECRETS:
            assert secret not in text, f"a secret appears in {log}"
            assert secret[-24:] not in text, f"part of a secret appears in {log}"
