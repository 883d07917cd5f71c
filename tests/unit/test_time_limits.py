"""Time limits read the way `sbatch --time` reads them, and written back."""

from __future__ import annotations

import re

import pytest

from hpcsim.cluster.slurm.timefmt import (
    MAX_SECONDS,
    format_time_limit,
    parse_time_limit,
    parse_timestamp,
)
from hpcsim.errors import InvalidInput

MINUTE, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        # minutes
        ("30", 30 * MINUTE),
        ("1", MINUTE),
        ("90", 90 * MINUTE),
        # minutes:seconds
        ("5:30", 5 * MINUTE + 30),
        ("0:45", 45),
        ("120:00", 2 * HOUR),
        # hours:minutes:seconds
        ("1:02:03", HOUR + 2 * MINUTE + 3),
        ("48:00:00", 2 * DAY),
        ("00:00:01", 1),
        # days-hours
        ("2-3", 2 * DAY + 3 * HOUR),
        ("0-1", HOUR),
        # days-hours:minutes
        ("2-3:04", 2 * DAY + 3 * HOUR + 4 * MINUTE),
        # days-hours:minutes:seconds
        ("2-3:04:05", 2 * DAY + 3 * HOUR + 4 * MINUTE + 5),
        ("365-00:00:00", 365 * DAY),
    ],
)
def test_each_slurm_time_form_gives_the_seconds_sbatch_means(
    text: str, seconds: int
) -> None:
    assert parse_time_limit(text) == seconds


def test_blanks_around_a_time_limit_are_ignored() -> None:
    assert parse_time_limit("  30 \n") == parse_time_limit("30")


@pytest.mark.parametrize(
    "text",
    [
        "1.5",
        "0.5:00",
        "0",
        "00:00",
        "0:00:00",
        "0-0",
        "0-00:00:00",
        "-5",
        "-1:00",
        "--5",
        "1--2",
        "",
        "   ",
        "1:60",
        "1:00:60",
        "1:60:00",
        "1-24",
        "1-1:60",
        "abc",
        "1h",
        "30m",
        "1:2:3:4",
        "1-2:3:4:5",
        "1-",
        "-1-00",
        "+5",
        "1 :30",
        "1_000",
        "٣",  # an Arabic-Indic digit: a digit to Python, not to Slurm
        "10000000000",
        "366-00:00:00",
        f"{MAX_SECONDS // MINUTE + 1}",
    ],
)
def test_time_limits_sbatch_would_refuse_or_misread_are_rejected(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_time_limit(text)

    assert caught.value.field == "ExecTime"
    assert caught.value.message.startswith("ExecTime")


def test_rejection_names_the_field_it_was_read_for() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_time_limit("soon", field="time")

    assert caught.value.field == "time"


def test_rejection_message_lists_the_forms_that_work() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_time_limit("1.5")

    assert "D-HH:MM:SS" in caught.value.message
    assert "'1.5'" in caught.value.message


def test_rejection_message_shortens_a_long_value() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_time_limit("x" * 10_000)

    assert len(caught.value.message) < 300


@pytest.mark.parametrize(
    "seconds",
    [1, 59, 60, 61, HOUR - 1, HOUR, DAY - 1, DAY, DAY + 1, 7 * DAY + 3723, MAX_SECONDS],
)
def test_a_formatted_time_limit_reads_back_as_the_same_seconds(seconds: int) -> None:
    text = format_time_limit(seconds)

    assert re.fullmatch(r"[0-9]+-[0-9]{2}:[0-9]{2}:[0-9]{2}", text)
    assert parse_time_limit(text) == seconds


@pytest.mark.parametrize(
    "text", ["30", "5:30", "1:02:03", "2-3", "2-3:04", "2-3:04:05", "90:00:00"]
)
def test_every_form_survives_formatting(text: str) -> None:
    seconds = parse_time_limit(text)

    assert parse_time_limit(format_time_limit(seconds)) == seconds


def test_formatted_time_limit_carries_hours_into_days() -> None:
    assert format_time_limit(parse_time_limit("48:00:00")) == "2-00:00:00"


@pytest.mark.parametrize("text", [None, "", "N/A", "NONE", "Unknown", "None", "bad"])
def test_unknown_slurm_timestamps_are_none(text: str | None) -> None:
    assert parse_timestamp(text) is None


def test_slurm_timestamp_gives_the_date_and_time_it_shows() -> None:
    stamp = parse_timestamp("2026-12-03T16:15:27")

    assert stamp is not None
    assert (stamp.year, stamp.month, stamp.day) == (2026, 12, 3)
    assert (stamp.hour, stamp.minute, stamp.second) == (16, 15, 27)
