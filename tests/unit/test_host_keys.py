"""Host keys given at registration: public key lines or known_hosts entries."""

from __future__ import annotations

import subprocess
from pathlib import Path

from hpcsim.cluster.ssh_pool import trusted_host_keys
from hpcsim.security.ssh_keys import generate_key_pair

KEY = generate_key_pair("host").public_openssh
OTHER = generate_key_pair("other").public_openssh


def fingerprints(text: str, host: str, port: int) -> set[str]:
    return {k.get_fingerprint("sha256") for k in trusted_host_keys(text, host, port)}


def test_plain_public_key_lines_are_trusted_as_they_are() -> None:
    assert len(fingerprints(f"{KEY}\n{OTHER}\n", "example.org", 22)) == 2


def test_a_bracketed_entry_counts_only_for_its_port() -> None:
    line = f"[cluster.example.org]:2222 {KEY}\n"

    assert len(fingerprints(line, "cluster.example.org", 2222)) == 1
    assert fingerprints(line, "cluster.example.org", 22) == set()
    assert fingerprints(line, "other.example.org", 2222) == set()


def test_a_hashed_entry_matches_its_host_only(tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text(f"[10.1.2.3]:2222 {KEY}\nplain.example.org {OTHER}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", known], check=True, capture_output=True)
    hashed = known.read_text()
    assert "10.1.2.3" not in hashed

    assert len(fingerprints(hashed, "10.1.2.3", 2222)) == 1
    assert fingerprints(hashed, "10.1.2.4", 2222) == set()


def test_text_that_is_neither_form_trusts_no_key() -> None:
    assert trusted_host_keys("not a key at all", "example.org", 22) == []
