"""What runs a command on a cluster, as a swappable transport."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CommandResult:
    """The outcome of one command on a cluster."""

    stdout: str
    stderr: str
    exit_status: int

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


class CommandRunner(Protocol):
    """Runs commands and moves files on one cluster login."""

    async def run(
        self, argv: Sequence[str], *, stdin: str | bytes | None = None
    ) -> CommandResult:
        """Run one command, given as an argument list, and return its result."""
        ...

    async def write_file(self, path: str, data: bytes, *, mode: int = 0o644) -> None:
        """Write a file on the cluster, creating its parent folders."""
        ...


def to_shell(argv: Sequence[str]) -> str:
    """Quote an argument list into one command line for a remote shell."""
    if not argv:
        raise ValueError("an empty command cannot run")
    return shlex.join(argv)
