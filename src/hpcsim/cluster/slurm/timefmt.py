"""Slurm's time forms, as `sbatch --time` reads them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hpcsim.errors import InvalidInput

_FORMS = "MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS"
_NUMBER = re.compile(r"[0-9]{1,9}")
MAX_SECONDS = 365 * 24 * 3600


def parse_time_limit(text: str, field: str = "ExecTime") -> int:
    """Return the seconds a Slurm time limit means; reject floats, zero, negatives."""
    value = text.strip()
    days, clock = _split_days(value, field)
    parts = clock.split(":")
    if not all(_NUMBER.fullmatch(part) for part in parts):
        raise _invalid(value, field)

    numbers = [int(part) for part in parts]
    seconds = _clock_seconds(
        numbers, has_days=days is not None, text=value, field=field
    )
    total = (days or 0) * 86400 + seconds
    if total <= 0:
        raise InvalidInput(f"{field} must be longer than zero", field=field)
    if total > MAX_SECONDS:
        raise InvalidInput(f"{field} must be at most 365 days", field=field)
    return total


def _split_days(value: str, field: str) -> tuple[int | None, str]:
    if "-" not in value:
        return None, value
    day_text, clock = value.split("-", 1)
    if not _NUMBER.fullmatch(day_text) or not clock:
        raise _invalid(value, field)
    return int(day_text), clock


def _clock_seconds(numbers: list[int], *, has_days: bool, text: str, field: str) -> int:
    if has_days:
        # D-HH, D-HH:MM, D-HH:MM:SS
        if len(numbers) > 3 or numbers[0] > 23 or any(n > 59 for n in numbers[1:]):
            raise _invalid(text, field)
        hours, minutes, seconds = [*numbers, 0, 0][:3]
        return hours * 3600 + minutes * 60 + seconds
    if len(numbers) == 1:  # MM
        return numbers[0] * 60
    if len(numbers) == 2:  # MM:SS
        if numbers[1] > 59:
            raise _invalid(text, field)
        return numbers[0] * 60 + numbers[1]
    if len(numbers) == 3:  # HH:MM:SS
        if numbers[1] > 59 or numbers[2] > 59:
            raise _invalid(text, field)
        return numbers[0] * 3600 + numbers[1] * 60 + numbers[2]
    raise _invalid(text, field)


def _invalid(text: str, field: str) -> InvalidInput:
    shown = text if len(text) <= 40 else text[:40] + "…"
    return InvalidInput(
        f"{field} {shown!r} is not a Slurm time; use {_FORMS} with whole numbers",
        field=field,
    )


def format_time_limit(seconds: int) -> str:
    """Return `D-HH:MM:SS` for a number of seconds, the form sbatch reads back."""
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{days}-{hours:02d}:{minutes:02d}:{secs:02d}"


# Slurm prints times in the cluster's local time zone unless told otherwise; the
# query commands ask for seconds since the epoch, which carry no zone.
EPOCH_ENV = ["env", "SLURM_TIME_FORMAT=%s"]


def parse_timestamp(text: str | None) -> datetime | None:
    """Return a Slurm timestamp in UTC; None for unknown ones.

    Epoch seconds are exact. An ISO time (Slurm's default form) has no zone and is
    taken as UTC, which is wrong on clusters that run on another zone.
    """
    if text is None:
        return None
    value = text.strip()
    if not value or value in {"N/A", "NONE", "Unknown", "None", "(null)", "0"}:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None
