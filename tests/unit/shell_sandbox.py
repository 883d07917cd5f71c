"""Run quoted command lines in a real shell, confined to a scratch folder.

Hostile test values only ever create a marker file inside that folder, so a
quoting bug shows as a file that exists, never as harm to the machine.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def in_sandbox(value: str, folder: Path) -> str:
    """Point a value's MARKER at a file in the scratch folder."""
    return value.replace("MARKER", str(folder / "ran"))


def run_in_sandbox(shell: str, command: str, folder: Path) -> str:
    """Run a command line with `shell` in a folder that is also its HOME."""
    done = subprocess.run(
        [shell, "-c", command],
        cwd=folder,
        env={"HOME": str(folder), "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout
