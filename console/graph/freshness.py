"""How fresh each Graph source is: what the status bar says instead of crashing when Graph has trouble."""

from __future__ import annotations

from datetime import datetime, tzinfo
from enum import Enum
from typing import NamedTuple

from ..timefmt import ago


class SourceHealth(Enum):
    WAITING = "waiting"        # no answer yet
    FRESH = "fresh"            # last poll succeeded
    STALE = "stale"            # last poll failed; showing the last known state
    THROTTLED = "throttled"    # 429: waiting out Retry-After
    DENIED = "denied"          # 401/403 or missing licence: the pane is greyed out and says why
    OFFLINE = "offline"        # no tenant configured: journal-only mode


class Freshness(NamedTuple):
    """One source's state, published by its poller after every attempt."""

    source: str                          # "health", "issues", "messages", "alerts", "incidents", "risky_users"
    health: SourceHealth = SourceHealth.WAITING
    last_success: datetime | None = None
    last_error: str | None = None        # "429", "HTTP 503", "timeout", "truncated JSON", "403 SecurityAlert.Read.All"
    last_error_at: datetime | None = None
    next_attempt: datetime | None = None
    missing_permission: str | None = None
    partial: str | None = None           # the last poll read only part: "first 200 pages only", "nextLink repeated…"
    loading: int | None = None           # objects read so far by a poll under way (None: no poll reading pages)

    def with_success(self, now: datetime, next_attempt: datetime, partial: str | None = None) -> Freshness:
        return self._replace(health=SourceHealth.FRESH, last_success=now, next_attempt=next_attempt,
                       last_error=None, missing_permission=None, partial=partial, loading=None)

    def with_error(self, health: SourceHealth, reason: str, now: datetime, next_attempt: datetime | None,
                   missing_permission: str | None = None) -> Freshness:
        return self._replace(health=health, last_error=reason, last_error_at=now, next_attempt=next_attempt,
                       missing_permission=missing_permission, loading=None)

    def describe(self, now: datetime, *, tz: tzinfo | None = None) -> str:
        """`alerts 12 s`, `alerts 12 s (partial: first 200 pages only)`, `health stale since 14:02 (429, retry in
        30 s)`, `risky_users denied: 403 …`, `alerts loading 12,000…` while pages arrive."""
        name = self.source.replace("_", " ")
        if self.loading is not None:
            return f"{name} loading {self.loading:,}…"
        if self.health is SourceHealth.OFFLINE:
            return f"{name} offline"
        if self.health is SourceHealth.WAITING:
            return f"{name} …"
        if self.health is SourceHealth.FRESH and self.last_success:
            age = ago((now - self.last_success).total_seconds())
            return f"{name} {age} (partial: {self.partial})" if self.partial else f"{name} {age}"
        if self.health is SourceHealth.DENIED:
            return f"{name} denied: {self.last_error}"
        since = self.last_success or self.last_error_at
        since_text = since.astimezone(tz).strftime("%H:%M") if since else "start"
        retry = ""
        if self.next_attempt:
            retry = f", retry in {ago(max(0.0, (self.next_attempt - now).total_seconds()))}"
        return f"{name} stale since {since_text} ({self.last_error}{retry})"
