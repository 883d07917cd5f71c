"""Scheduler times are read as UTC whatever the cluster's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hpcsim.cluster.commands import CommandResult
from hpcsim.cluster.slurm import sacct, scontrol, squeue
from hpcsim.cluster.slurm.timefmt import parse_timestamp

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "slurm"


def capture(name: str) -> CommandResult:
    return CommandResult((CAPTURES / name).read_text(), "", 0)


def test_queries_ask_slurm_for_epoch_seconds() -> None:
    for argv in (
        squeue.build_argv("ada"),
        scontrol.build_argv(),
        sacct.build_argv(["1"]),
    ):
        assert argv[:2] == ["env", "SLURM_TIME_FORMAT=%s"]


def test_epoch_times_of_squeue_are_utc_and_unknown_ones_none() -> None:
    jobs = squeue.parse(capture("squeue_epoch.stdout"))

    job = jobs["54"]
    assert job.state == "PENDING" and job.reason == "JobHeldUser"
    assert job.submitted_at == datetime.fromtimestamp(1796315765, UTC)
    assert job.started_at is None and job.ended_at is None


def test_epoch_times_of_scontrol_are_utc() -> None:
    jobs = scontrol.parse(capture("scontrol_show_job_epoch_all.stdout"))

    completed = [job for job in jobs.values() if job.state == "COMPLETED"]
    assert completed
    for job in completed:
        assert job.started_at is not None and job.started_at.tzinfo is UTC
        assert job.ended_at is not None and job.ended_at >= job.started_at


def test_an_iso_time_without_zone_is_taken_as_utc() -> None:
    parsed = parse_timestamp("2026-12-03T16:14:50")

    assert parsed == datetime(2026, 12, 3, 16, 14, 50, tzinfo=UTC)
