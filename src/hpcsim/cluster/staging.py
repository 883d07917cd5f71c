"""Put templates and execution folders on a cluster, and take them away."""

from __future__ import annotations

import posixpath

from hpcsim.cluster.commands import CommandRunner
from hpcsim.errors import CommandFailed

# Extract into a private folder, then rename it into place: a folder that exists
# under its final name is complete. A concurrent stager that loses the race to
# rename throws its copy away.
_STAGE = r"""
set -e
target=$1
[ -d "$target" ] && exit 0
part="$target.part.$$"
mkdir -p "$part"
tar -x -C "$part"
chmod -R a-w "$part"
if ! mv -T "$part" "$target" 2>/dev/null; then
    chmod -R u+w "$part"
    rm -rf -- "$part"
fi
"""


async def stage_templates(runner: CommandRunner, folder: str, archive: bytes) -> None:
    """Unpack a tar archive of the templates into a folder, once."""
    result = await runner.run(["sh", "-c", _STAGE, "stage", folder], stdin=archive)
    _check(result.ok, "stage the templates", folder, result.stderr, result.exit_status)


async def prepare_folder(
    runner: CommandRunner, folder: str, script: str, description: str | None
) -> None:
    """Create an execution's folder with its script, description and checkpoint/."""
    checkpoint = posixpath.join(folder, "checkpoint")
    result = await runner.run(["mkdir", "-p", "--", checkpoint])
    _check(result.ok, "create", checkpoint, result.stderr, result.exit_status)
    await runner.write_file(
        posixpath.join(folder, "job.sh"), script.encode(), mode=0o755
    )
    if description is not None:
        path = posixpath.join(folder, "description.yaml")
        await runner.write_file(path, description.encode(), mode=0o644)


async def remove_folder(runner: CommandRunner, folder: str, execution_id: str) -> None:
    """Remove an execution's folder; refuse any path that is not one."""
    if posixpath.basename(folder) != execution_id or "/executions/" not in folder:
        raise ValueError(f"refusing to remove {folder!r}: not an execution folder")
    result = await runner.run(["rm", "-rf", "--", folder])
    _check(result.ok, "remove", folder, result.stderr, result.exit_status)


def _check(ok: bool, action: str, path: str, stderr: str, status: int) -> None:
    if not ok:
        raise CommandFailed(
            f"cannot {action} {path}: {stderr.strip()[:300]}",
            exit_status=status,
            stderr=stderr,
        )
