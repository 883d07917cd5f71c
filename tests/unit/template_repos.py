"""The example templates repository, built by `scripts/make-templates-repo`."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class TemplatesRepo:
    path: Path
    main: str
    stable: str

    def show(self, revision: str, path: str) -> str:
        """Return a file of the repository at a revision, read by git itself."""
        return git(self.path, "show", f"{revision}:{path}")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    )
    return done.stdout


def build_templates_repo(path: Path) -> TemplatesRepo:
    """Build the repository the way developers do and read its branch heads."""
    subprocess.run(
        [str(ROOT / "scripts" / "make-templates-repo"), str(path)],
        check=True,
        capture_output=True,
    )
    return TemplatesRepo(
        path=path,
        main=git(path, "rev-parse", "main").strip(),
        stable=git(path, "rev-parse", "stable").strip(),
    )
