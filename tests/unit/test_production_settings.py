"""Production refuses placeholder secrets, test hooks and plain HTTP."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from hpcsim.lifecycle.run_request import parse_description
from hpcsim.settings import Settings

HPCSIM = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hpcsim"
ROOT = Path(__file__).resolve().parents[2]
SLEEP_MANIFEST = ROOT / "examples" / "templates" / "sleep-exit" / "workflow.yaml"
REAL = {"jwt_secret": "j" * 40, "key_encryption_key": "k" * 40}


def test_production_refuses_placeholder_secrets() -> None:
    with pytest.raises(ValidationError, match="HPCSIM_JWT_SECRET"):
        Settings(_env_file=None, environment="production")  # type: ignore[call-arg]


def test_production_refuses_the_crash_test_pause() -> None:
    with pytest.raises(ValidationError, match="CRASH_TEST_PAUSE"):
        Settings(  # type: ignore[call-arg]
            _env_file=None, environment="production", crash_test_pause=1, **REAL
        )


def test_production_accepts_real_secrets() -> None:
    settings = Settings(_env_file=None, environment="production", **REAL)  # type: ignore[call-arg]

    assert settings.jwt_secret.get_secret_value() == REAL["jwt_secret"]
    assert "j" * 40 not in repr(settings)


def test_production_serve_refuses_plain_http(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "HPCSIM_ENVIRONMENT": "production",
        "HPCSIM_JWT_SECRET": REAL["jwt_secret"],
        "HPCSIM_KEY_ENCRYPTION_KEY": REAL["key_encryption_key"],
        "HPCSIM_DATA_DIR": str(tmp_path),
    }

    result = subprocess.run(
        [str(HPCSIM), "serve", "--port", "1"], env=env, capture_output=True, text=True
    )

    assert result.returncode == 2
    assert "HPCSIM_BEHIND_PROXY" in result.stderr


def test_a_yaml_alias_bomb_is_refused_quickly() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        lines.append(f"a{level}: &a{level} [{', '.join([previous] * 9)}]")
    bomb = "\n".join(
        [*lines, "workflow_type: sleep-exit", "parameters:", "  message: *a9"]
    )

    described = parse_description(bomb.encode())

    # safe_load shares the aliased lists instead of copying them; the manifest
    # then refuses a list where a string belongs.
    assert (
        described["parameters"]["message"][0] is described["parameters"]["message"][1]
    )
