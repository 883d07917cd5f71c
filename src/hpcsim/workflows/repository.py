"""The git repository of workflow templates, read through the git command."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from pathlib import Path

from hpcsim.errors import HpcsimError, InvalidInput, TemplateError

logger = logging.getLogger(__name__)

_BRANCH = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")
_WORKFLOW = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_FETCH_EVERY_SECONDS = 30.0


class GitFailed(HpcsimError):
    """The git command failed on the templates repository."""

    transient = True


def check_branch_name(branch: str) -> str:
    """Return a branch name if it is a plain, valid one; never a git option."""
    if (
        not _BRANCH.fullmatch(branch)
        or ".." in branch
        or "//" in branch
        or branch.endswith((".", "/", ".lock"))
        or "/." in branch
        or "@{" in branch
    ):
        raise InvalidInput(
            "Branch must be a branch name of the templates repository: letters, "
            "digits and . _ / -, at most 100 characters, not starting with - or .",
            field="Branch",
        )
    return branch


def check_workflow_name(workflow: str) -> str:
    """Return a workflow name if it names a folder we may read."""
    if not _WORKFLOW.fullmatch(workflow):
        raise InvalidInput(
            "Workflow must be a template name: letters, digits, _ and -, at most "
            "64 characters, starting with a letter or digit",
            field="Workflow",
        )
    return workflow


class TemplateRepository:
    """Resolves branches to commits and reads files at a commit.

    A local path is read in place. A URL is mirrored into the data folder and
    fetched again at most every 30 seconds when a branch is resolved.
    """

    def __init__(self, location: str, data_dir: Path) -> None:
        self._location = location
        self._remote = "://" in location or location.startswith("git@")
        self._path = (
            data_dir / "templates-mirror.git" if self._remote else Path(location)
        )
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def resolve(self, branch: str | None) -> tuple[str, str]:
        """Return `(branch, commit)`; the default branch when none is given."""
        await self._refresh()
        name = check_branch_name(branch) if branch else await self.default_branch()
        code, out, _ = await self._git(
            "rev-parse", "--verify", "--quiet", f"refs/heads/{name}^{{commit}}"
        )
        if code != 0:
            raise InvalidInput(
                f"Branch {name!r} does not exist in the templates repository",
                field="Branch",
            )
        return name, out.strip()

    async def default_branch(self) -> str:
        """Return the branch HEAD of the repository points to."""
        code, out, err = await self._git("symbolic-ref", "--short", "HEAD")
        if code != 0:
            raise GitFailed(f"the templates repository has no default branch: {err}")
        return out.strip()

    async def read_file(self, commit: str, path: str) -> bytes | None:
        """Return a file's bytes at a commit, or None when it does not exist."""
        _check_commit(commit)
        code, out = await self._git_bytes("show", f"{commit}:{path}")
        return out if code == 0 else None

    async def archive(self, commit: str) -> bytes:
        """Return a tar archive of the whole tree at a commit."""
        _check_commit(commit)
        code, out = await self._git_bytes("archive", "--format=tar", commit)
        if code != 0:
            raise GitFailed(f"git archive failed for commit {commit}")
        return out

    async def _refresh(self) -> None:
        if not self._remote:
            if not self._path.exists():
                raise TemplateError(
                    f"the templates repository {self._path} does not exist"
                )
            return
        async with self._lock:
            if time.monotonic() - self._fetched_at < _FETCH_EVERY_SECONDS:
                return
            await self._mirror()
            self._fetched_at = time.monotonic()

    async def _mirror(self) -> None:
        if not self._path.exists():
            argv = ["git", "clone", "--mirror", "--", self._location, str(self._path)]
        else:
            argv = ["git", "-C", str(self._path), "fetch", "--prune", "origin"]
        code, _, err = await _run(argv)
        if code != 0:
            logger.warning("templates: cannot update the mirror: %s", err.strip())

    async def _git(self, *args: str) -> tuple[int, str, str]:
        return await _run(["git", "-C", str(self._path), *args])

    async def _git_bytes(self, *args: str) -> tuple[int, bytes]:
        process = await asyncio.create_subprocess_exec(
            "git",
            "-C",
            str(self._path),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, _ = await process.communicate()
        return process.returncode or 0, out


async def _run(argv: list[str]) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


def _check_commit(commit: str) -> None:
    if not _COMMIT.fullmatch(commit):
        raise ValueError(f"not a full commit id: {commit!r}")
