"""The scheduler adapters the lifecycle can use, by name."""

from __future__ import annotations

from hpcsim.cluster.scheduler import Scheduler
from hpcsim.cluster.slurm.adapter import SlurmScheduler
from hpcsim.errors import InvalidInput

_ADAPTERS: dict[str, Scheduler] = {"slurm": SlurmScheduler()}


def register_scheduler(name: str, adapter: Scheduler) -> None:
    """Make an adapter available to machines whose scheduler is `name`."""
    _ADAPTERS[name] = adapter


def scheduler_for(name: str) -> Scheduler:
    """Return the adapter of a machine's scheduler."""
    adapter = _ADAPTERS.get(name)
    if adapter is None:
        raise InvalidInput(f"scheduler {name!r} is not supported", field="scheduler")
    return adapter
