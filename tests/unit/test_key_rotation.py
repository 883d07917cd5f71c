"""`hpcsim key rotate`: a new key-encryption key without losing any SSH key."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

from hpcsim.security.ssh_keys import generate_key_pair
from hpcsim.storage.db import create_engine, session_factory
from hpcsim.storage.repositories import all_keys

HPCSIM = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hpcsim"
OLD, NEW = "old-kek-" + "a" * 32, "new-kek-" + "b" * 32


def hpcsim(
    data: Path, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "HPCSIM_DATA_DIR": str(data), **env}
    return subprocess.run(
        [str(HPCSIM), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
    )


def stored_keys(data: Path) -> list[tuple[str, bytes]]:
    async def read() -> list[tuple[str, bytes]]:
        engine = create_engine(f"sqlite+aiosqlite:///{data / 'hpcsim.db'}")
        async with session_factory(engine)() as session:
            keys = [
                (k.kek_id, k.private_key_encrypted) for k in await all_keys(session)
            ]
        await engine.dispose()
        return keys

    return asyncio.run(read())


def enrol(data: Path, tmp_path: Path) -> None:
    host_key = tmp_path / "host.pub"
    host_key.write_text(generate_key_pair("host").public_openssh)
    kek = {"HPCSIM_KEY_ENCRYPTION_KEY": OLD}
    assert (
        hpcsim(
            data, "user", "add", "ada", "--password-stdin", stdin="pw-ada-123\n"
        ).returncode
        == 0
    )
    machine = hpcsim(
        data, "machine", "add", "ada", "m", "--host", "127.0.0.1", "--login", "ada",
        "--workdir", "/scratch/ada", "--host-key-file", str(host_key), **kek,
    )  # fmt: skip
    assert machine.returncode == 0, machine.stderr
    for name in ("one", "two"):
        key = hpcsim(data, "key", "create", "ada", "m", "--name", name, **kek)
        assert key.returncode == 0, key.stderr


def test_rotation_reencrypts_every_key_under_the_new_kek(tmp_path: Path) -> None:
    data = tmp_path / "data"
    enrol(data, tmp_path)
    before = stored_keys(data)

    result = hpcsim(
        data, "key", "rotate",
        HPCSIM_KEY_ENCRYPTION_KEY=NEW, HPCSIM_PREVIOUS_KEY_ENCRYPTION_KEYS=f'["{OLD}"]',
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "2 key(s)" in result.stderr
    after = stored_keys(data)
    assert len({kek_id for kek_id, _ in after}) == 1
    assert {kek_id for kek_id, _ in after}.isdisjoint({kek_id for kek_id, _ in before})
    again = hpcsim(data, "key", "rotate", HPCSIM_KEY_ENCRYPTION_KEY=NEW)
    assert again.returncode == 0 and "0 key(s)" in again.stderr


def test_rotation_without_the_old_kek_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    enrol(data, tmp_path)
    before = stored_keys(data)

    result = hpcsim(data, "key", "rotate", HPCSIM_KEY_ENCRYPTION_KEY=NEW)

    assert result.returncode == 1
    assert "unknown KEK" in result.stderr
    assert stored_keys(data) == before
