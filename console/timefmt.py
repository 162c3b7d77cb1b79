"""UTC time as the journal stores it: full dates, millisecond precision, always with a `Z`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

_RELATIVE = re.compile(r"^-(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """The one text form of a moment: `2026-11-24T21:05:09.123Z`."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the journal only holds UTC moments")
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def from_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """What a responder types for `--at`: ISO 8601 (UTC unless it says otherwise), `now`, or `-15m`."""
    text = text.strip()
    now = now or utc_now()
    if text == "now":
        return now
    match = _RELATIVE.match(text)
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        return from_iso(text)
    except ValueError:
        raise ValueError(f"not a time: {text!r} (use ISO 8601 like 2026-11-24T14:02Z, 'now' or '-15m')") from None


def display_zone(name: str) -> tzinfo:
    """The zone a responder asked to see times in; `local` is the host's (zoneinfo loads only for a named one)."""
    if name.upper() == "UTC":
        return UTC
    if name == "local":
        return datetime.now().astimezone().tzinfo  # type: ignore[return-value]
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def ago(seconds: float) -> str:
    """Compact age for panes: `12 s`, `4 min`, `3 h`, `2 d`."""
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{seconds // 60} min"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"
