"""The Slurm adapter's look-up of jobs by tag, in squeue and then in accounting."""

from __future__ import annotations

from hpcsim.cluster.commands import CommandResult
from hpcsim.cluster.slurm.adapter import SlurmScheduler


class Scripted:
    """Answers each command by its program name, and keeps what it was asked."""

    def __init__(self, answers: dict[str, CommandResult]) -> None:
        self.answers = answers
        self.asked: list[list[str]] = []

    async def run(self, argv: list[str], *, stdin: object = None) -> CommandResult:
        self.asked.append(list(argv))
        program = next(a for a in argv if a in self.answers)
        return self.answers[program]

    async def write_file(self, path: str, data: bytes, *, mode: int = 0o644) -> None:
        raise AssertionError("not expected")


async def test_a_tag_slurmctld_forgot_is_found_in_accounting() -> None:
    # Hand-written sacct answer: the local cluster keeps no accounting.
    runner = Scripted(
        {
            "squeue": CommandResult("", "", 0),
            "sacct": CommandResult("4211|hpcsim-e1-1\n4230|hpcsim-e1-1\n", "", 0),
        }
    )

    found = await SlurmScheduler().find_by_tag(runner, "ada", ["hpcsim-e1-1"])

    assert found == {"hpcsim-e1-1": "4230"}
    assert any("--name=hpcsim-e1-1" in a for a in runner.asked[1])


async def test_without_accounting_a_forgotten_tag_is_not_found_and_remembered() -> None:
    disabled = CommandResult("", "Slurm accounting storage is disabled\n", 1)
    runner = Scripted({"squeue": CommandResult("", "", 0), "sacct": disabled})
    scheduler = SlurmScheduler()

    assert await scheduler.find_by_tag(runner, "ada", ["hpcsim-e2-1"]) == {}
    assert await scheduler.find_by_tag(runner, "ada", ["hpcsim-e2-1"]) == {}
    assert sum("sacct" in argv for argv in runner.asked) == 1
