"""Words and glyphs for states, so every state reads without colour (16 colours, NO_COLOR, colour blindness).

Each label is (glyph, word, tone); the tone names a component class a widget styles from theme variables.
"""

from __future__ import annotations

from ..console.text import clean

# serviceHealthStatus (Graph enum); unknown values keep Graph's raw string.
SERVICE_STATUS: dict[str, tuple[str, str, str]] = {
    "serviceOperational": ("✓", "Operational", "ok"),
    "serviceRestored": ("✓", "Restored", "ok"),
    "resolved": ("✓", "Resolved", "ok"),
    "resolvedExternal": ("✓", "Resolved", "ok"),
    "falsePositive": ("✓", "False positive", "ok"),
    "postIncidentReviewPublished": ("✓", "Review published", "ok"),
    "mitigated": ("✓", "Mitigated", "ok"),
    "mitigatedExternal": ("✓", "Mitigated", "ok"),
    "investigating": ("?", "Investigating", "warn"),
    "verifyingService": ("…", "Verifying", "warn"),
    "restoringService": ("↻", "Restoring", "warn"),
    "extendedRecovery": ("↻", "Extended recovery", "warn"),
    "investigationSuspended": ("‖", "Suspended", "warn"),
    "serviceDegradation": ("▲", "Degraded", "bad"),
    "serviceInterruption": ("✖", "Interrupted", "bad"),
    "confirmed": ("!", "Confirmed", "bad"),
    "reported": ("!", "Reported", "warn"),
}

ALERT_SEVERITY: dict[str, tuple[str, str, str]] = {
    "high": ("▲", "High", "bad"),
    "medium": ("◆", "Medium", "warn"),
    "low": ("▽", "Low", "info"),
    "informational": ("·", "Info", "muted"),
}

INCIDENT_SEVERITY: dict[str, tuple[str, str, str]] = {
    "SEV1": ("▲", "SEV1", "bad"),
    "SEV2": ("▲", "SEV2", "bad"),
    "SEV3": ("◆", "SEV3", "warn"),
    "SEV4": ("▽", "SEV4", "info"),
}

TASK_STATUS: dict[str, tuple[str, str, str]] = {
    "open": ("○", "open", "muted"),
    "doing": ("◐", "doing", "info"),
    "blocked": ("✖", "blocked", "bad"),
    "done": ("✓", "done", "ok"),
    "skipped": ("–", "skipped", "muted"),
}


def label(table: dict[str, tuple[str, str, str]], value: str) -> tuple[str, str, str]:
    """The label for a value, or `?` and the raw (cleaned) value when Graph sent something new."""
    return table.get(value) or ("?", clean(value, 24) or "unknown", "warn")


def service_name(service: str) -> str:
    """Short workload names so a row fits 80 columns: 'Exchange Online' stays, 'Microsoft ' goes."""
    name = clean(service, 40)
    return name.removeprefix("Microsoft ") if len(name) > 22 else name
